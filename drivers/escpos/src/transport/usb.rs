//! The USB printer class (interface class 7) through `rusb`, without the kernel's usblp.
//!
//! Implements: [`ByteTransport`] over the bulk OUT and (when present) bulk IN endpoints of the
//! device's printer-class interface. usblp is detached while we hold the interface and
//! re-attached on drop, so `/dev/usb/lp*` comes back for other tools. A private
//! `rusb::Context::new()` is used, never the global context (which panics when libusb cannot
//! initialise, e.g. without udev; see PLATFORM.md §7): no USB is then an `Err`, not a crash.
//!
//! Setup: the kiosk user needs access to the device node (a udev rule `SUBSYSTEM=="usb",
//! ATTRS{idVendor}=="04b8", MODE="0660", GROUP="lp"`, see `hardware.md`).
//! Does not implement: hotplug (the caller reconnects), IEEE 1284 device ID, soft reset.

use std::time::Duration;

use motcua_device::Error;
use rusb::{Context, DeviceHandle, Direction, TransferType, UsbContext};

use super::ByteTransport;

/// USB interface class of printers.
const CLASS_PRINTER: u8 = 7;

fn usb_error(e: rusb::Error) -> Error {
    match e {
        rusb::Error::Timeout => Error::Timeout,
        rusb::Error::NoDevice | rusb::Error::NotFound => Error::Disconnected,
        rusb::Error::Busy => Error::Busy,
        other => Error::Hardware(format!("usb: {other}")),
    }
}

/// A printer-class interface claimed through libusb.
#[derive(Debug)]
pub struct UsbTransport {
    handle: DeviceHandle<Context>,
    interface: u8,
    ep_out: u8,
    ep_in: Option<u8>,
    reattach: bool,
}

/// Where the printer-class interface of a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Endpoints {
    config: u8,
    interface: u8,
    setting: u8,
    ep_out: u8,
    ep_in: Option<u8>,
}

fn find_endpoints<T: UsbContext>(device: &rusb::Device<T>) -> Option<Endpoints> {
    let desc = device.device_descriptor().ok()?;
    for c in 0..desc.num_configurations() {
        let Ok(config) = device.config_descriptor(c) else { continue };
        for iface in config.interfaces() {
            for setting in iface.descriptors().filter(|d| d.class_code() == CLASS_PRINTER) {
                let bulk = |dir| {
                    setting
                        .endpoint_descriptors()
                        .find(|e| e.transfer_type() == TransferType::Bulk && e.direction() == dir)
                        .map(|e| e.address())
                };
                if let Some(ep_out) = bulk(Direction::Out) {
                    return Some(Endpoints {
                        config: config.number(),
                        interface: setting.interface_number(),
                        setting: setting.setting_number(),
                        ep_out,
                        ep_in: bulk(Direction::In),
                    });
                }
            }
        }
    }
    None
}

impl UsbTransport {
    /// Opens the first printer-class device, or the one with `vid:pid` when given.
    pub fn open(vid_pid: Option<(u16, u16)>) -> Result<Self, Error> {
        let ctx = Context::new().map_err(usb_error)?;
        let devices = ctx.devices().map_err(usb_error)?;
        for device in devices.iter() {
            if let Some((vid, pid)) = vid_pid {
                let Ok(d) = device.device_descriptor() else { continue };
                if d.vendor_id() != vid || d.product_id() != pid {
                    continue;
                }
            }
            let Some(ep) = find_endpoints(&device) else { continue };
            let handle = device.open().map_err(usb_error)?;
            return Self::claim(handle, ep);
        }
        Err(Error::Disconnected)
    }

    fn claim(handle: DeviceHandle<Context>, ep: Endpoints) -> Result<Self, Error> {
        // Detach usblp first: claiming an interface a kernel driver holds fails with Busy.
        let reattach = matches!(handle.kernel_driver_active(ep.interface), Ok(true));
        if reattach {
            handle.detach_kernel_driver(ep.interface).map_err(usb_error)?;
        }
        let t = Self { handle, interface: ep.interface, ep_out: ep.ep_out, ep_in: ep.ep_in, reattach };
        if matches!(t.handle.active_configuration(), Ok(c) if c != ep.config) {
            t.handle.set_active_configuration(ep.config).map_err(usb_error)?;
        }
        t.handle.claim_interface(ep.interface).map_err(usb_error)?;
        if ep.setting != 0 {
            t.handle.set_alternate_setting(ep.interface, ep.setting).map_err(usb_error)?;
        }
        Ok(t)
    }
}

impl Drop for UsbTransport {
    fn drop(&mut self) {
        // Give the printer back to usblp so /dev/usb/lp* reappears.
        let _ = self.handle.release_interface(self.interface);
        if self.reattach {
            let _ = self.handle.attach_kernel_driver(self.interface);
        }
    }
}

impl ByteTransport for UsbTransport {
    fn write_all(&mut self, mut data: &[u8], timeout: Duration) -> Result<(), Error> {
        let deadline = super::wall_clock() + timeout;
        while !data.is_empty() {
            let left = deadline.saturating_sub(super::wall_clock());
            if left.is_zero() {
                return Err(Error::Timeout);
            }
            let n = self.handle.write_bulk(self.ep_out, data, left).map_err(usb_error)?;
            data = &data[n..];
        }
        Ok(())
    }

    fn read_available(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        let Some(ep) = self.ep_in else {
            // Unidirectional printer: nothing ever comes back (no confirmation possible).
            std::thread::sleep(timeout);
            return Ok(0);
        };
        match self.handle.read_bulk(ep, buf, timeout.max(Duration::from_millis(1))) {
            Ok(n) => Ok(n),
            Err(rusb::Error::Timeout) => Ok(0),
            Err(e) => Err(usb_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_printer_is_an_error_not_a_panic() {
        // In CI there is no USB printer (and maybe no USB at all): Err, never a panic.
        assert!(super::UsbTransport::open(Some((0xFFFF, 0xFFFF))).is_err());
    }
}
