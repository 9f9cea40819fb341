//! ALSA microphone capture through cpal (feature `microphone`).
//!
//! Implements: [`AlsaMicrophone`], an [`AudioSource`] that opens an input device as mono
//! signed 16-bit at the requested rate (16 kHz by default; ALSA's `plug` layer converts) and
//! delivers fixed chunks stamped with the capture clock.
//!
//! Does not implement: resampling in Rust (a device that cannot do the rate is refused at
//! open), device hot-plug, gain control.
//!
//! Setup: the kiosk user needs the `audio` group; name the device as ALSA does (`default`,
//! `plughw:CARD=Device,DEV=0`). Build machines need `libasound2-dev` and `pkg-config`.
//!
//! cpal's stream is not `Send`, so it lives on its own thread; the real-time callback only
//! copies samples and `try_send`s full chunks (it never blocks; a full queue drops the chunk).
//! A chunk is stamped when its last sample arrived, minus its length.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TrySendError};
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use crate::Error;
use crate::source::{AudioChunk, AudioSource, Clock};

/// An ALSA input device as a mono PCM source.
#[derive(Debug)]
pub struct AlsaMicrophone {
    rx: Receiver<Result<AudioChunk, String>>,
    rate: u32,
    stop: Arc<AtomicBool>,
}

impl AlsaMicrophone {
    /// Opens `device` (`None`: the default input) at `rate` Hz mono, in `chunk_ms` chunks.
    pub fn open(device: Option<&str>, rate: u32, chunk_ms: u32, clock: Clock) -> Result<Self, Error> {
        let (tx, rx) = mpsc::sync_channel::<Result<AudioChunk, String>>(32);
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<(), String>>(1);
        let name = device.map(str::to_owned);
        let stop = Arc::new(AtomicBool::new(false));
        let stop_thread = Arc::clone(&stop);
        let chunk = (u64::from(rate) * u64::from(chunk_ms) / 1000).max(1) as usize;
        std::thread::Builder::new().name("alsa-capture".into()).spawn(move || {
            let host = cpal::default_host();
            let dev = match &name {
                None => host.default_input_device(),
                Some(n) => host.input_devices().ok().and_then(|mut it| it.find(|d| d.name().is_ok_and(|dn| &dn == n))),
            };
            let Some(dev) = dev else {
                let _ = ready_tx.send(Err(format!("no input device {name:?}")));
                return;
            };
            let cfg = cpal::StreamConfig {
                channels: 1,
                sample_rate: cpal::SampleRate(rate),
                buffer_size: cpal::BufferSize::Default,
            };
            let mut pending: Vec<i16> = Vec::with_capacity(chunk);
            let data_tx = tx.clone();
            let rate_f = f64::from(rate.max(1));
            let stream = dev.build_input_stream(
                &cfg,
                move |data: &[i16], _: &cpal::InputCallbackInfo| {
                    let now = clock.now();
                    let mut rest = data;
                    while !rest.is_empty() {
                        let take = (chunk - pending.len()).min(rest.len());
                        let (head, tail) = rest.split_at(take);
                        pending.extend_from_slice(head);
                        rest = tail;
                        if pending.len() == chunk {
                            // Last sample of this chunk arrived `rest.len()` samples before `now`.
                            let back = Duration::from_secs_f64((chunk + rest.len()) as f64 / rate_f);
                            let samples = std::mem::replace(&mut pending, Vec::with_capacity(chunk));
                            let c = AudioChunk { ts: now.saturating_sub(back), samples };
                            if let Err(TrySendError::Disconnected(_)) = data_tx.try_send(Ok(c)) {
                                return;
                            }
                        }
                    }
                },
                move |e| {
                    let _ = tx.try_send(Err(e.to_string()));
                },
                None,
            );
            let stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            if let Err(e) = stream.play() {
                let _ = ready_tx.send(Err(e.to_string()));
                return;
            }
            let _ = ready_tx.send(Ok(()));
            // Keep the stream alive until the source is dropped.
            while !stop_thread.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
            }
            drop(stream);
        })?;
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| Error::Device(motcua_device::Error::Timeout))?
            .map_err(|e| Error::Device(motcua_device::Error::Hardware(e)))?;
        Ok(Self { rx, rate, stop })
    }
}

impl Drop for AlsaMicrophone {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl AudioSource for AlsaMicrophone {
    fn next_chunk(&mut self) -> Result<AudioChunk, Error> {
        match self.rx.recv_timeout(Duration::from_secs(2)) {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(Error::Device(motcua_device::Error::Hardware(e))),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::Device(motcua_device::Error::Timeout)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::Device(motcua_device::Error::Disconnected)),
        }
    }

    fn sample_rate(&self) -> u32 {
        self.rate
    }
}
