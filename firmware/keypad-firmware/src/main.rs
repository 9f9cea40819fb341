//! Counter rating keypad firmware for the RP2040 (Raspberry Pi Pico).
//!
//! Implements the board around [`keypad_ui::Keypad`]: USB-CDC serial (usb-device +
//! usbd-serial) carrying the `motcua-keypad-proto` link to the host driver, GPIO keys with
//! debounce, key LEDs, a PWM buzzer and an SSD1306 128x64 OLED on I2C. Everything the keypad
//! decides lives in `keypad-ui` (tested on the host); this file only moves bytes and levels.
//!
//! One super-loop, no interrupts: poll USB, feed received bytes, scan the keys once a
//! millisecond, run the timers, write what the link emits, set LEDs and buzzer, and repaint
//! the OLED when the screen changed. The watchdog resets the chip if the loop stalls for a
//! second (a hung I2C bus) or after a panic (`panic-halt` stops the loop); the new boot has a
//! new link session, so the host sees a restart and re-sends its state.
//!
//! Wiring (Pico pin numbers are GPIO numbers), see `firmware/README.md`:
//! keys GP6..GP14 to GND (internal pull-ups): rating 1..5 then next, recall, skip, finish;
//! LEDs GP16..GP22, GP26, GP27 (active high, through resistors or a driver), same order;
//! buzzer GP28 (PWM6 A, passive piezo through a transistor); OLED SDA GP4, SCL GP5 (I2C0, 0x3C).
#![no_std]
#![no_main]

use embedded_hal::digital::{InputPin, OutputPin};
use embedded_hal::pwm::SetDutyCycle;
use fugit::RateExtU32;
use hal::Clock;
use hal::gpio::bank0::{Gpio4, Gpio5};
use hal::gpio::{DynPinId, FunctionI2C, FunctionSioInput, FunctionSioOutput, Pin, PinState, PullDown, PullUp};
use keypad_ui::debounce::Debouncer;
use keypad_ui::{Config, Keypad, Screen};
use motcua_keypad_proto::MAX_WIRE_LEN;
use panic_halt as _;
use rp2040_hal as hal;
use ssd1306::mode::DisplayConfig;
use ssd1306::prelude::{DisplayRotation, I2CInterface};
use ssd1306::size::DisplaySize128x64;
use ssd1306::{I2CDisplayInterface, Ssd1306};
use static_cell::StaticCell;
use usb_device::prelude::{LangID, StringDescriptors, UsbDeviceBuilder, UsbDeviceState, UsbVidPid};
use usbd_serial::SerialPort;

/// Second-stage bootloader for the Pico's W25Q080 flash (the first 256 bytes of the image).
#[allow(unsafe_code)] // The linker script places `.boot2`; nothing else touches it.
#[unsafe(link_section = ".boot2")]
#[used]
pub static BOOT2: [u8; 256] = rp2040_boot2::BOOT_LOADER_GENERIC_03H;

/// The Pico's crystal.
const XTAL_HZ: u32 = 12_000_000;
/// Rating keys fitted on this keypad (3 to 5, cargo features `ratings-3` / `ratings-4`,
/// default 5); the host's `KeyMap::new(n)` must match.
const RATING_KEYS: u8 = if cfg!(feature = "ratings-3") {
    3
} else if cfg!(feature = "ratings-4") {
    4
} else {
    5
};
/// Keys and LEDs in use: the first `KEYS` of the wired pins (rating keys first, then next,
/// recall, skip, finish), so a 3-key keypad uses GP6..GP12 and LEDs GP16..GP22.
const KEYS: usize = RATING_KEYS as usize + 4;
/// Key and LED pins wired on the board.
const PINS: usize = 9;
/// A key level must hold this long to count.
const DEBOUNCE_MS: u64 = 20;
/// Drop a frame the host does not read for this long (port closed on the host side).
const WRITE_STALL_MS: u64 = 200;
/// Retry a missing or failed OLED this often.
const DISPLAY_RETRY_MS: u64 = 2_000;
/// Buzzer tone: 125 MHz / 125 = 1 MHz PWM clock, / 370 ≈ 2.7 kHz (a typical piezo resonance).
const BUZZER_DIV: u8 = 125;
const BUZZER_TOP: u16 = 370;
/// USB IDs: Raspberry Pi's VID with the Pico SDK's CDC PID, as in `drivers/keypad/README.md`'s udev rule.
const USB_VID_PID: UsbVidPid = UsbVidPid(0x2e8a, 0x000a);

type KeyPin = Pin<DynPinId, FunctionSioInput, PullUp>;
type LedPin = Pin<DynPinId, FunctionSioOutput, PullDown>;
type I2c0 = hal::I2C<hal::pac::I2C0, (Pin<Gpio4, FunctionI2C, PullUp>, Pin<Gpio5, FunctionI2C, PullUp>)>;
type Oled = Ssd1306<I2CInterface<I2c0>, DisplaySize128x64, ssd1306::mode::BufferedGraphicsMode<DisplaySize128x64>>;
type UsbBus = usb_device::bus::UsbBusAllocator<hal::usb::UsbBus>;

// The big state lives in statics, so `arm-none-eabi-size` counts it in .bss (RAM use is
// visible at build time, not hidden in the stack).
static KEYPAD: StaticCell<Keypad> = StaticCell::new();
static OLED: StaticCell<Oled> = StaticCell::new();
static USB_BUS: StaticCell<UsbBus> = StaticCell::new();

#[hal::entry]
fn main() -> ! {
    let Some(mut pac) = hal::pac::Peripherals::take() else { halt() };
    let mut watchdog = hal::Watchdog::new(pac.WATCHDOG);
    let Ok(clocks) = hal::clocks::init_clocks_and_plls(
        XTAL_HZ,
        pac.XOSC,
        pac.CLOCKS,
        pac.PLL_SYS,
        pac.PLL_USB,
        &mut pac.RESETS,
        &mut watchdog,
    ) else {
        halt()
    };
    let timer = hal::Timer::new(pac.TIMER, &mut pac.RESETS, &clocks);
    let sio = hal::Sio::new(pac.SIO);
    let pins = hal::gpio::Pins::new(pac.IO_BANK0, pac.PADS_BANK0, sio.gpio_bank0, &mut pac.RESETS);

    // A per-boot link session: ring-oscillator jitter mixed with the boot time.
    let rosc = hal::rosc::RingOscillator::new(pac.ROSC).initialize();
    let mut session = 0u32;
    for _ in 0..32 {
        session = (session << 1) | u32::from(rosc.get_random_bit());
        cortex_m::asm::delay(64);
    }
    session ^= timer.get_counter_low();

    let mut keys: [KeyPin; PINS] = [
        pins.gpio6.into_pull_up_input().into_dyn_pin(),
        pins.gpio7.into_pull_up_input().into_dyn_pin(),
        pins.gpio8.into_pull_up_input().into_dyn_pin(),
        pins.gpio9.into_pull_up_input().into_dyn_pin(),
        pins.gpio10.into_pull_up_input().into_dyn_pin(),
        pins.gpio11.into_pull_up_input().into_dyn_pin(),
        pins.gpio12.into_pull_up_input().into_dyn_pin(),
        pins.gpio13.into_pull_up_input().into_dyn_pin(),
        pins.gpio14.into_pull_up_input().into_dyn_pin(),
    ];
    let mut leds: [LedPin; PINS] = [
        pins.gpio16.into_push_pull_output_in_state(PinState::Low).into_dyn_pin(),
        pins.gpio17.into_push_pull_output_in_state(PinState::Low).into_dyn_pin(),
        pins.gpio18.into_push_pull_output_in_state(PinState::Low).into_dyn_pin(),
        pins.gpio19.into_push_pull_output_in_state(PinState::Low).into_dyn_pin(),
        pins.gpio20.into_push_pull_output_in_state(PinState::Low).into_dyn_pin(),
        pins.gpio21.into_push_pull_output_in_state(PinState::Low).into_dyn_pin(),
        pins.gpio22.into_push_pull_output_in_state(PinState::Low).into_dyn_pin(),
        pins.gpio26.into_push_pull_output_in_state(PinState::Low).into_dyn_pin(),
        pins.gpio27.into_push_pull_output_in_state(PinState::Low).into_dyn_pin(),
    ];

    let mut pwm_slices = hal::pwm::Slices::new(pac.PWM, &mut pac.RESETS);
    let pwm = &mut pwm_slices.pwm6;
    pwm.set_div_int(BUZZER_DIV);
    pwm.set_top(BUZZER_TOP);
    pwm.enable();
    let buzzer = &mut pwm.channel_a;
    let _buzzer_pin = buzzer.output_to(pins.gpio28);
    let _ = buzzer.set_duty_cycle(0);

    let sda: Pin<_, FunctionI2C, PullUp> = pins.gpio4.reconfigure();
    let scl: Pin<_, FunctionI2C, PullUp> = pins.gpio5.reconfigure();
    let i2c = hal::I2C::i2c0(pac.I2C0, sda, scl, 400.kHz(), &mut pac.RESETS, clocks.system_clock.freq());
    let Some(oled) = OLED.try_init(
        Ssd1306::new(I2CDisplayInterface::new(i2c), DisplaySize128x64, DisplayRotation::Rotate0)
            .into_buffered_graphics_mode(),
    ) else {
        halt()
    };

    let Some(usb_bus) = USB_BUS.try_init(usb_device::bus::UsbBusAllocator::new(hal::usb::UsbBus::new(
        pac.USBCTRL_REGS,
        pac.USBCTRL_DPRAM,
        clocks.usb_clock,
        true,
        &mut pac.RESETS,
    ))) else {
        halt()
    };
    let mut serial = SerialPort::new(usb_bus);
    let strings = StringDescriptors::new(LangID::EN)
        .manufacturer("motcua-kiosk")
        .product("Counter rating keypad")
        .serial_number("MOTCUA-KEYPAD");
    let Ok(builder) = UsbDeviceBuilder::new(usb_bus, USB_VID_PID).strings(&[strings]) else { halt() };
    let mut usb = builder.device_class(usbd_serial::USB_CLASS_CDC).build();

    watchdog.pause_on_debug(true);
    watchdog.start(fugit::MicrosDurationU32::millis(1_000));

    let now_ms = || timer.get_counter().ticks() / 1_000;
    let Some(keypad) = KEYPAD.try_init(Keypad::new(Config::new(RATING_KEYS, session), now_ms())) else { halt() };
    let mut debouncer = Debouncer::new(DEBOUNCE_MS);
    let mut rx = [0u8; 64];
    let mut tx = [0u8; MAX_WIRE_LEN];
    let (mut tx_len, mut tx_pos, mut tx_since) = (0usize, 0usize, 0u64);
    let mut last_scan = u64::MAX;
    let mut buzzing = false;
    let mut shown: Option<Screen> = None;
    let mut display_ok = false;
    let mut display_retry_at = 0u64;

    loop {
        watchdog.feed();
        let now = now_ms();

        // 1. Bytes from the host.
        // Read every turn, not only when `poll` reports an event: usbd-serial may still hold
        // bytes from an earlier packet.
        usb.poll(&mut [&mut serial]);
        if let Ok(n) = serial.read(&mut rx) {
            keypad.handle_all_input(now, rx.get(..n).unwrap_or_default());
        }

        // 2. Keys, once a millisecond (pressed = low).
        if now != last_scan {
            last_scan = now;
            let mut raw = 0u16;
            for (i, key) in keys.iter_mut().take(KEYS).enumerate() {
                if key.is_low().unwrap_or(false) {
                    raw |= 1 << i;
                }
            }
            let pressed = debouncer.update(now, raw);
            for id in 0..KEYS as u8 {
                if pressed & (1 << id) != 0 {
                    keypad.key_down(now, id);
                }
            }
        }

        // 3. Timers, then 4. frames to the host. Nothing is taken from the link while the
        //    device is not configured (cable out): key presses wait there with their retry budget.
        keypad.handle_timeout(now);
        if usb.state() == UsbDeviceState::Configured {
            loop {
                if tx_pos >= tx_len {
                    match keypad.poll_transmit(now, &mut tx) {
                        Some(n) => (tx_len, tx_pos, tx_since) = (n, 0, now),
                        None => break,
                    }
                }
                match serial.write(tx.get(tx_pos..tx_len).unwrap_or_default()) {
                    Ok(n) if n > 0 => tx_pos += n,
                    _ => {
                        if now.saturating_sub(tx_since) > WRITE_STALL_MS {
                            // The host is not reading; the link retransmits what matters.
                            tx_pos = tx_len;
                        }
                        break;
                    }
                }
            }
        } else {
            tx_pos = tx_len;
        }

        // 5. LEDs and buzzer.
        let mask = keypad.leds();
        for (i, led) in leds.iter_mut().take(KEYS).enumerate() {
            let _ = if mask & (1 << i) != 0 { led.set_high() } else { led.set_low() };
        }
        let on = keypad.buzzer_on(now);
        if on != buzzing {
            buzzing = on;
            let _ = buzzer.set_duty_cycle(if on { BUZZER_TOP / 2 } else { 0 });
        }

        // 6. The OLED, when the screen changed (or the panel came back).
        if !display_ok && now >= display_retry_at {
            display_retry_at = now + DISPLAY_RETRY_MS;
            display_ok = oled.init().is_ok();
            shown = None;
        }
        let screen = keypad.screen(now);
        if display_ok && shown != Some(screen) {
            let _ = keypad_ui::draw::draw(&screen, oled);
            display_ok = oled.flush().is_ok();
            shown = Some(screen);
        }
    }
}

/// Stops here; the watchdog (if started) resets the chip.
fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
