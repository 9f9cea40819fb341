//! A small Matroska muxer (MJPEG video + PCM s16le mono audio) and the crash-recovery scanner.
//!
//! Implements: the Matroska subset that VLC and ffmpeg play — EBML header, one Segment with a
//! SeekHead, Info (1 ms timestamp scale, Duration), Tracks (`V_MJPEG`, `A_PCM/INT/LIT`),
//! Clusters of SimpleBlocks (every MJPEG frame is a keyframe) and Cues (one per cluster) — see
//! RFC 9559. JPEG frames are passed through untouched. [`recover`] re-scans a `.partial` file
//! that a crash left behind, keeps every complete, well-formed cluster, and finalises it.
//!
//! Does not implement: lacing, BlockGroups, Tags, chapters, other codecs, or reading files
//! written by other muxers (the scanner accepts only this module's own layout).
//!
//! **Layout and crash safety.** The Segment size is written as "unknown" and a fixed-size Void
//! reserves room for the SeekHead, so the file is a playable stream from the first cluster
//! on. A cluster is built in memory (at most about 1 s or [`MAX_CLUSTER_BYTES`]) and written
//! whole with its exact size, then flushed to the kernel: a process killed at any point leaves
//! a prefix of complete clusters plus at most one torn one, which [`recover`] cuts off.
//! Finalising appends the Cues and patches the Duration, Segment size and SeekHead in place.

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use crate::Error;

const ID_EBML: u32 = 0x1A45_DFA3;
const ID_SEGMENT: u32 = 0x1853_8067;
const ID_SEEKHEAD: u32 = 0x114D_9B74;
const ID_SEEK: u32 = 0x4DBB;
const ID_SEEKID: u32 = 0x53AB;
const ID_SEEKPOS: u32 = 0x53AC;
const ID_VOID: u32 = 0xEC;
const ID_INFO: u32 = 0x1549_A966;
const ID_TIMESTAMPSCALE: u32 = 0x2A_D7B1;
const ID_DURATION: u32 = 0x4489;
const ID_MUXINGAPP: u32 = 0x4D80;
const ID_WRITINGAPP: u32 = 0x5741;
const ID_TITLE: u32 = 0x7BA9;
const ID_TRACKS: u32 = 0x1654_AE6B;
const ID_TRACKENTRY: u32 = 0xAE;
const ID_TRACKNUMBER: u32 = 0xD7;
const ID_TRACKUID: u32 = 0x73C5;
const ID_TRACKTYPE: u32 = 0x83;
const ID_FLAGLACING: u32 = 0x9C;
const ID_CODECID: u32 = 0x86;
const ID_DEFAULTDURATION: u32 = 0x23_E383;
const ID_VIDEO: u32 = 0xE0;
const ID_PIXELWIDTH: u32 = 0xB0;
const ID_PIXELHEIGHT: u32 = 0xBA;
const ID_AUDIO: u32 = 0xE1;
const ID_SAMPLINGFREQ: u32 = 0xB5;
const ID_CHANNELS: u32 = 0x9F;
const ID_BITDEPTH: u32 = 0x6264;
const ID_CLUSTER: u32 = 0x1F43_B675;
const ID_TIMESTAMP: u32 = 0xE7;
const ID_SIMPLEBLOCK: u32 = 0xA3;
const ID_CUES: u32 = 0x1C53_BB6B;
const ID_CUEPOINT: u32 = 0xBB;
const ID_CUETIME: u32 = 0xB3;
const ID_CUETRACKPOS: u32 = 0xB7;
const ID_CUETRACK: u32 = 0xF7;
const ID_CUECLUSTERPOS: u32 = 0xF1;

/// Track number of the video track.
pub const VIDEO_TRACK: u64 = 1;
/// Track number of the audio track.
pub const AUDIO_TRACK: u64 = 2;
/// Bytes reserved at the start of the Segment for the SeekHead (padded with a Void).
const SEEKHEAD_RESERVED: usize = 96;
/// A cluster is closed at the next video frame once it spans this long.
const CLUSTER_SPAN_MS: u64 = 1000;
/// ... or once it holds this many bytes. The scanner refuses larger clusters.
pub const MAX_CLUSTER_BYTES: usize = 4 << 20;
/// The scanner's hard limit on one cluster (room for one oversized frame past the soft limit).
const SCAN_MAX_CLUSTER: u64 = 24 << 20;
/// Largest single frame the muxer accepts (a 640x480 JPEG is ~30-80 KiB).
pub const MAX_FRAME_BYTES: usize = 16 << 20;
/// The "unknown size" marker for an 8-byte size field.
const UNKNOWN_SIZE_8: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
const MUXING_APP: &str = "motcua-recorder";

/// What the two tracks carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackConfig {
    /// Video width in pixels.
    pub width: u32,
    /// Video height in pixels.
    pub height: u32,
    /// Nominal frame rate (sets the frame duration; timestamps come from the capture clock).
    pub fps: u32,
    /// Audio sample rate (mono, signed 16-bit little-endian).
    pub sample_rate: u32,
    /// Title stored in the Info element (session id and counter, for a human reading the file).
    pub title: String,
}

/// Totals of a finished (or recovered) file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MuxSummary {
    /// Video frames written.
    pub video_frames: u64,
    /// Audio samples written.
    pub audio_samples: u64,
    /// Clusters written.
    pub clusters: u64,
    /// Duration in milliseconds (end of the last frame or sample).
    pub duration_ms: u64,
    /// File length in bytes.
    pub bytes: u64,
}

// ---------------------------------------------------------------------------------------------
// EBML encoding

fn put_id(buf: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    buf.extend_from_slice(bytes.get(skip..).unwrap_or(&bytes));
}

fn put_size(buf: &mut Vec<u8>, size: u64) {
    // Lengths 1..=8; all-ones payloads are reserved for "unknown", hence the `- 1`.
    let mut len = 1usize;
    while len < 8 && size >= (1u64 << (7 * len)) - 1 {
        len += 1;
    }
    let marked = size | (1u64 << (7 * len));
    let bytes = marked.to_be_bytes();
    buf.extend_from_slice(bytes.get(8 - len..).unwrap_or(&bytes));
}

fn size8(size: u64) -> [u8; 8] {
    let mut b = size.to_be_bytes();
    b[0] = 0x01;
    b
}

fn put_uint(buf: &mut Vec<u8>, id: u32, v: u64) {
    put_id(buf, id);
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    put_size(buf, (8 - skip) as u64);
    buf.extend_from_slice(bytes.get(skip..).unwrap_or(&bytes));
}

fn put_uint8(buf: &mut Vec<u8>, id: u32, v: u64) {
    put_id(buf, id);
    put_size(buf, 8);
    buf.extend_from_slice(&v.to_be_bytes());
}

fn put_float(buf: &mut Vec<u8>, id: u32, v: f64) {
    put_id(buf, id);
    put_size(buf, 8);
    buf.extend_from_slice(&v.to_be_bytes());
}

fn put_bytes(buf: &mut Vec<u8>, id: u32, v: &[u8]) {
    put_id(buf, id);
    put_size(buf, v.len() as u64);
    buf.extend_from_slice(v);
}

fn put_master(buf: &mut Vec<u8>, id: u32, body: &[u8]) {
    put_bytes(buf, id, body);
}

/// A Void element exactly `total` bytes long (`total` >= 2 and <= 128).
fn void(total: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(total);
    put_id(&mut v, ID_VOID);
    put_size(&mut v, total.saturating_sub(2) as u64);
    v.resize(total, 0);
    v
}

/// The SeekHead (fixed-width positions) padded with a Void to [`SEEKHEAD_RESERVED`] bytes.
fn seekhead(entries: &[(u32, u64)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (id, pos) in entries {
        let mut seek = Vec::new();
        put_bytes(&mut seek, ID_SEEKID, &id.to_be_bytes());
        put_uint8(&mut seek, ID_SEEKPOS, *pos);
        put_master(&mut body, ID_SEEK, &seek);
    }
    let mut out = Vec::with_capacity(SEEKHEAD_RESERVED);
    put_master(&mut out, ID_SEEKHEAD, &body);
    let rest = SEEKHEAD_RESERVED.saturating_sub(out.len());
    out.extend_from_slice(&void(rest));
    out
}

fn ebml_header() -> Vec<u8> {
    let mut body = Vec::new();
    put_uint(&mut body, 0x4286, 1); // EBMLVersion
    put_uint(&mut body, 0x42F7, 1); // EBMLReadVersion
    put_uint(&mut body, 0x42F2, 4); // EBMLMaxIDLength
    put_uint(&mut body, 0x42F3, 8); // EBMLMaxSizeLength
    put_bytes(&mut body, 0x4282, b"matroska"); // DocType
    put_uint(&mut body, 0x4287, 4); // DocTypeVersion
    put_uint(&mut body, 0x4285, 2); // DocTypeReadVersion (SimpleBlock)
    let mut out = Vec::new();
    put_master(&mut out, ID_EBML, &body);
    out
}

/// Info with a fixed-width Duration; returns the bytes and the Duration payload's offset.
fn info(title: &str, duration_ms: f64) -> (Vec<u8>, usize) {
    let mut body = Vec::new();
    put_uint(&mut body, ID_TIMESTAMPSCALE, 1_000_000);
    put_bytes(&mut body, ID_MUXINGAPP, MUXING_APP.as_bytes());
    put_bytes(&mut body, ID_WRITINGAPP, MUXING_APP.as_bytes());
    put_bytes(&mut body, ID_TITLE, title.as_bytes());
    let dur_at = body.len() + 3; // 2-byte id, 1-byte size
    put_float(&mut body, ID_DURATION, duration_ms);
    let mut out = Vec::new();
    put_id(&mut out, ID_INFO);
    put_size(&mut out, body.len() as u64);
    let header = out.len();
    out.extend_from_slice(&body);
    (out, header + dur_at)
}

fn tracks(cfg: &TrackConfig) -> Vec<u8> {
    let mut video = Vec::new();
    put_uint(&mut video, ID_TRACKNUMBER, VIDEO_TRACK);
    put_uint(&mut video, ID_TRACKUID, VIDEO_TRACK);
    put_uint(&mut video, ID_TRACKTYPE, 1);
    put_uint(&mut video, ID_FLAGLACING, 0);
    put_bytes(&mut video, ID_CODECID, b"V_MJPEG");
    put_uint(&mut video, ID_DEFAULTDURATION, 1_000_000_000 / u64::from(cfg.fps.max(1)));
    let mut v = Vec::new();
    put_uint(&mut v, ID_PIXELWIDTH, u64::from(cfg.width));
    put_uint(&mut v, ID_PIXELHEIGHT, u64::from(cfg.height));
    put_master(&mut video, ID_VIDEO, &v);

    let mut audio = Vec::new();
    put_uint(&mut audio, ID_TRACKNUMBER, AUDIO_TRACK);
    put_uint(&mut audio, ID_TRACKUID, AUDIO_TRACK);
    put_uint(&mut audio, ID_TRACKTYPE, 2);
    put_uint(&mut audio, ID_FLAGLACING, 0);
    put_bytes(&mut audio, ID_CODECID, b"A_PCM/INT/LIT");
    let mut a = Vec::new();
    put_float(&mut a, ID_SAMPLINGFREQ, f64::from(cfg.sample_rate));
    put_uint(&mut a, ID_CHANNELS, 1);
    put_uint(&mut a, ID_BITDEPTH, 16);
    put_master(&mut audio, ID_AUDIO, &a);

    let mut body = Vec::new();
    put_master(&mut body, ID_TRACKENTRY, &video);
    put_master(&mut body, ID_TRACKENTRY, &audio);
    let mut out = Vec::new();
    put_master(&mut out, ID_TRACKS, &body);
    out
}

fn cues(points: &[(u64, u64)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (time, pos) in points {
        let mut tp = Vec::new();
        put_uint(&mut tp, ID_CUETRACK, VIDEO_TRACK);
        put_uint(&mut tp, ID_CUECLUSTERPOS, *pos);
        let mut cp = Vec::new();
        put_uint(&mut cp, ID_CUETIME, *time);
        put_master(&mut cp, ID_CUETRACKPOS, &tp);
        put_master(&mut body, ID_CUEPOINT, &cp);
    }
    let mut out = Vec::new();
    put_master(&mut out, ID_CUES, &body);
    out
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Appends the Cues at `end`, then patches Duration, SeekHead and the Segment size.
fn finalise_at<W: Write + Seek>(
    w: &mut W,
    layout: &Layout,
    end: u64,
    cue_points: &[(u64, u64)],
    duration_ms: u64,
) -> Result<u64, Error> {
    let cues_rel = end.saturating_sub(layout.seg_data);
    w.seek(SeekFrom::Start(end))?;
    let c = cues(cue_points);
    w.write_all(&c)?;
    let file_end = end + c.len() as u64;
    w.seek(SeekFrom::Start(layout.duration_pos))?;
    w.write_all(&(duration_ms as f64).to_be_bytes())?;
    w.seek(SeekFrom::Start(layout.seg_data))?;
    w.write_all(&seekhead(&[
        (ID_INFO, layout.info_pos - layout.seg_data),
        (ID_TRACKS, layout.tracks_pos - layout.seg_data),
        (ID_CUES, cues_rel),
    ]))?;
    w.seek(SeekFrom::Start(layout.seg_data - 8))?;
    w.write_all(&size8(file_end - layout.seg_data))?;
    w.seek(SeekFrom::Start(file_end))?;
    w.flush()?;
    Ok(file_end)
}

/// Absolute offsets of the parts that finalising patches.
#[derive(Debug, Clone, Copy)]
struct Layout {
    seg_data: u64,
    info_pos: u64,
    duration_pos: u64,
    tracks_pos: u64,
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Writes one Matroska file, streaming, to any `Write + Seek`.
///
/// Timestamps are offsets from the start of the recording on the capture clock; video and
/// audio stay in sync because both come from that one clock.
#[derive(Debug)]
pub struct MkvWriter<W: Write + Seek> {
    w: W,
    layout: Layout,
    pos: u64,
    cfg: TrackConfig,
    cluster: Vec<u8>,
    cluster_tc: Option<u64>,
    cues: Vec<(u64, u64)>,
    end_ms: u64,
    summary: MuxSummary,
}

impl<W: Write + Seek> MkvWriter<W> {
    /// Writes the header (EBML, Segment start, reserved SeekHead, Info, Tracks).
    pub fn new(mut w: W, cfg: TrackConfig) -> Result<Self, Error> {
        if cfg.width == 0 || cfg.height == 0 || cfg.fps == 0 || cfg.sample_rate == 0 {
            return Err(Error::Unsupported(format!("track configuration {cfg:?}")));
        }
        let start = w.stream_position()?;
        let mut head = ebml_header();
        put_id(&mut head, ID_SEGMENT);
        head.extend_from_slice(&UNKNOWN_SIZE_8);
        let seg_data = start + head.len() as u64;
        head.extend_from_slice(&void(SEEKHEAD_RESERVED));
        let info_pos = start + head.len() as u64;
        let (info, dur_off) = info(&cfg.title, 0.0);
        head.extend_from_slice(&info);
        let tracks_pos = start + head.len() as u64;
        head.extend_from_slice(&tracks(&cfg));
        w.write_all(&head)?;
        w.flush()?;
        let layout = Layout { seg_data, info_pos, duration_pos: info_pos + dur_off as u64, tracks_pos };
        Ok(Self {
            w,
            layout,
            pos: start + head.len() as u64,
            cfg,
            cluster: Vec::with_capacity(1 << 20),
            cluster_tc: None,
            cues: Vec::new(),
            end_ms: 0,
            summary: MuxSummary::default(),
        })
    }

    /// Adds one JPEG frame captured `ts` after the recording started.
    pub fn write_video(&mut self, ts: Duration, jpeg: &[u8]) -> Result<(), Error> {
        if jpeg.is_empty() || jpeg.len() > MAX_FRAME_BYTES {
            return Err(Error::Unsupported(format!("video frame of {} bytes", jpeg.len())));
        }
        let t = ms(ts);
        let cut = match self.cluster_tc {
            None => true,
            Some(tc) => t.saturating_sub(tc) >= CLUSTER_SPAN_MS || self.cluster.len() >= MAX_CLUSTER_BYTES,
        };
        if cut {
            self.flush_cluster()?;
        }
        self.block(VIDEO_TRACK, t, jpeg)?;
        self.summary.video_frames += 1;
        self.end_ms = self.end_ms.max(t + 1000 / u64::from(self.cfg.fps));
        Ok(())
    }

    /// Adds mono samples whose first sample was captured `ts` after the recording started.
    pub fn write_audio(&mut self, ts: Duration, samples: &[i16]) -> Result<(), Error> {
        if samples.is_empty() {
            return Ok(());
        }
        let t = ms(ts);
        let mut bytes = Vec::with_capacity(samples.len() * 2);
        for s in samples {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        self.block(AUDIO_TRACK, t, &bytes)?;
        self.summary.audio_samples += samples.len() as u64;
        let end = ts + Duration::from_secs_f64(samples.len() as f64 / f64::from(self.cfg.sample_rate));
        self.end_ms = self.end_ms.max(ms(end));
        Ok(())
    }

    fn block(&mut self, track: u64, t: u64, payload: &[u8]) -> Result<(), Error> {
        // A block's timestamp is a signed 16-bit offset from its cluster's.
        let rel = self.cluster_tc.map(|tc| i64::try_from(t).unwrap_or(i64::MAX) - i64::try_from(tc).unwrap_or(0));
        let rel = match rel {
            Some(r) if (i64::from(i16::MIN)..=i64::from(i16::MAX)).contains(&r) => r,
            _ => {
                self.flush_cluster()?;
                0
            }
        };
        if self.cluster_tc.is_none() {
            self.cluster_tc = Some(t);
        }
        let rel = i16::try_from(rel).unwrap_or(0);
        put_id(&mut self.cluster, ID_SIMPLEBLOCK);
        put_size(&mut self.cluster, payload.len() as u64 + 4);
        self.cluster.push(0x80 | track as u8); // track number as a 1-byte vint
        self.cluster.extend_from_slice(&rel.to_be_bytes());
        self.cluster.push(0x80); // keyframe, no lacing
        self.cluster.extend_from_slice(payload);
        Ok(())
    }

    fn flush_cluster(&mut self) -> Result<(), Error> {
        let Some(tc) = self.cluster_tc.take() else { return Ok(()) };
        let mut head = Vec::with_capacity(24);
        let mut tcb = Vec::new();
        put_uint(&mut tcb, ID_TIMESTAMP, tc);
        put_id(&mut head, ID_CLUSTER);
        put_size(&mut head, (tcb.len() + self.cluster.len()) as u64);
        head.extend_from_slice(&tcb);
        let rel = self.pos - self.layout.seg_data;
        self.w.write_all(&head)?;
        self.w.write_all(&self.cluster)?;
        // To the kernel now: a killed process then loses at most the cluster being built.
        self.w.flush()?;
        self.pos += (head.len() + self.cluster.len()) as u64;
        self.cues.push((tc, rel));
        self.cluster.clear();
        self.summary.clusters += 1;
        Ok(())
    }

    /// Writes the last cluster and the Cues, patches the header; returns the writer and totals.
    pub fn finish(mut self) -> Result<(W, MuxSummary), Error> {
        self.flush_cluster()?;
        let end = finalise_at(&mut self.w, &self.layout, self.pos, &self.cues, self.end_ms)?;
        let mut summary = self.summary;
        summary.duration_ms = self.end_ms;
        summary.bytes = end;
        Ok((self.w, summary))
    }

    /// Totals so far (complete clusters and the one being built).
    pub fn summary(&self) -> MuxSummary {
        MuxSummary { duration_ms: self.end_ms, bytes: self.pos + self.cluster.len() as u64, ..self.summary }
    }
}

// ---------------------------------------------------------------------------------------------
// Recovery scanner

/// What [`recover`] did with a partial file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The complete clusters were kept and the file finalised; the stream is this long now.
    Finalised(MuxSummary),
    /// Nothing usable (no complete cluster with video, or not our layout): discard the file.
    Discard(String),
}

/// Reads an EBML vint (id when `keep_marker`, else a size); `None` past the end or if invalid.
fn vint(data: &[u8], pos: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *data.get(pos)?;
    if first == 0 {
        return None;
    }
    let len = first.leading_zeros() as usize + 1;
    if keep_marker && len > 4 {
        return None;
    }
    let mut v = if keep_marker { u64::from(first) } else { u64::from(first) & ((1u64 << (8 - len)) - 1) };
    for i in 1..len {
        v = (v << 8) | u64::from(*data.get(pos + i)?);
    }
    Some((v, len))
}

/// Element header at `pos`: (id, data size, header length). Unknown sizes come back as
/// `u64::MAX`.
fn header(data: &[u8], pos: usize) -> Option<(u32, u64, usize)> {
    let (id, il) = vint(data, pos, true)?;
    let (size, sl) = vint(data, pos + il, false)?;
    let all_ones = (1u64 << (7 * sl)) - 1;
    let size = if size == all_ones { u64::MAX } else { size };
    Some((u32::try_from(id).ok()?, size, il + sl))
}

fn read_uint(data: &[u8]) -> Option<u64> {
    if data.len() > 8 {
        return None;
    }
    Some(data.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)))
}

/// Reads exactly `len` bytes at `at`; `None` if the file is shorter.
fn read_at<R: Read + Seek>(r: &mut R, at: u64, len: usize) -> Result<Option<Vec<u8>>, Error> {
    r.seek(SeekFrom::Start(at))?;
    let mut buf = Vec::with_capacity(len);
    let got = r.by_ref().take(len as u64).read_to_end(&mut buf)?;
    Ok((got == len).then_some(buf))
}

/// Per-file facts the scanner needs from the header.
#[derive(Debug, Clone, Copy)]
struct Head {
    layout: Layout,
    first_cluster: u64,
    fps: u64,
    sample_rate: u64,
}

fn scan_head<R: Read + Seek>(r: &mut R, len: u64) -> Result<Result<Head, String>, Error> {
    let Some(buf) = read_at(r, 0, len.min(4096) as usize)? else {
        return Ok(Err("shorter than its header".into()));
    };
    let bad = |s: &str| Ok(Err(s.to_owned()));
    let Some((ID_EBML, size, hl)) = header(&buf, 0) else { return bad("no EBML header") };
    let mut pos = hl + usize::try_from(size).unwrap_or(usize::MAX).min(buf.len());
    let Some((ID_SEGMENT, _, hl)) = header(&buf, pos) else { return bad("no Segment") };
    if hl != 12 {
        return bad("Segment size field is not 8 bytes");
    }
    pos += hl;
    let seg_data = pos as u64;
    match header(&buf, pos) {
        Some((ID_VOID | ID_SEEKHEAD, _, _)) => {}
        _ => return bad("no reserved SeekHead"),
    }
    pos += SEEKHEAD_RESERVED;
    let info_pos = pos as u64;
    let Some((ID_INFO, isize, ihl)) = header(&buf, pos) else { return bad("no Info") };
    let info_end = (pos + ihl).saturating_add(usize::try_from(isize).unwrap_or(usize::MAX));
    if info_end > buf.len() {
        return bad("truncated Info");
    }
    let mut p = pos + ihl;
    let mut duration_pos = None;
    while p < info_end {
        let Some((id, sz, hl)) = header(&buf, p) else { return bad("bad Info child") };
        if id == ID_DURATION && sz == 8 {
            duration_pos = Some((p + hl) as u64);
        }
        p = (p + hl).saturating_add(usize::try_from(sz).unwrap_or(usize::MAX));
    }
    let Some(duration_pos) = duration_pos else { return bad("no 8-byte Duration") };
    let tracks_pos = info_end;
    let Some((ID_TRACKS, tsize, thl)) = header(&buf, tracks_pos) else { return bad("no Tracks") };
    let tracks_end = (tracks_pos + thl).saturating_add(usize::try_from(tsize).unwrap_or(usize::MAX));
    let Some(tracks) = buf.get(tracks_pos + thl..tracks_end) else { return bad("truncated Tracks") };
    let (mut fps, mut rate) = (0u64, 0u64);
    walk(tracks, &mut |id, data| match id {
        ID_DEFAULTDURATION => {
            if let Some(ns) = read_uint(data).filter(|n| *n > 0) {
                fps = 1_000_000_000 / ns;
            }
        }
        ID_SAMPLINGFREQ => {
            if let Ok(b) = <[u8; 8]>::try_from(data) {
                let f = f64::from_be_bytes(b);
                if (1.0..=1e6).contains(&f) {
                    rate = f as u64;
                }
            }
        }
        _ => {}
    });
    if fps == 0 || rate == 0 {
        return bad("Tracks lack frame duration or sample rate");
    }
    let layout = Layout { seg_data, info_pos, duration_pos, tracks_pos: tracks_pos as u64 };
    Ok(Ok(Head { layout, first_cluster: tracks_end as u64, fps, sample_rate: rate }))
}

/// Calls `f(id, data)` for every element of `data`, descending into the Tracks masters.
fn walk(data: &[u8], f: &mut dyn FnMut(u32, &[u8])) {
    let mut p = 0usize;
    while let Some((id, sz, hl)) = header(data, p) {
        let end = (p + hl).saturating_add(usize::try_from(sz).unwrap_or(usize::MAX));
        let Some(body) = data.get(p + hl..end) else { return };
        if matches!(id, ID_TRACKENTRY | ID_VIDEO | ID_AUDIO) {
            walk(body, f);
        } else {
            f(id, body);
        }
        p = end;
    }
}

/// Checks one cluster body; returns (timestamp, video frames, audio samples, end ms).
fn scan_cluster(body: &[u8], fps: u64, rate: u64) -> Option<(u64, u64, u64, u64)> {
    let (ID_TIMESTAMP, sz, hl) = header(body, 0)? else { return None };
    let mut p = hl.checked_add(usize::try_from(sz).ok()?)?;
    let tc = read_uint(body.get(hl..p)?)?;
    let (mut frames, mut samples, mut end) = (0u64, 0u64, 0u64);
    while p < body.len() {
        let (id, sz, hl) = header(body, p)?;
        let end_p = (p + hl).checked_add(usize::try_from(sz).ok()?)?;
        let block = body.get(p + hl..end_p)?;
        if id != ID_SIMPLEBLOCK || block.len() < 5 {
            return None;
        }
        let track = u64::from(*block.first()? & 0x7F);
        let rel = i16::from_be_bytes([*block.get(1)?, *block.get(2)?]);
        let flags = *block.get(3)?;
        if *block.first()? & 0x80 == 0 || flags & 0x06 != 0 {
            return None; // multi-byte track numbers and lacing are not ours
        }
        let t = u64::try_from(i64::try_from(tc).ok()? + i64::from(rel)).ok()?;
        let payload = block.get(4..)?;
        match track {
            VIDEO_TRACK => {
                frames += 1;
                end = end.max(t + 1000 / fps.max(1));
            }
            AUDIO_TRACK if payload.len() % 2 == 0 => {
                let n = (payload.len() / 2) as u64;
                samples += n;
                end = end.max(t + n * 1000 / rate.max(1));
            }
            _ => return None,
        }
        p = end_p;
    }
    Some((tc, frames, samples, end))
}

/// The complete, well-formed prefix of a file.
struct Scan {
    head: Head,
    good_end: u64,
    cue_points: Vec<(u64, u64)>,
    summary: MuxSummary,
}

fn scan<R: Read + Seek>(f: &mut R, len: u64) -> Result<Result<Scan, String>, Error> {
    let head = match scan_head(f, len)? {
        Ok(h) => h,
        Err(why) => return Ok(Err(why)),
    };
    let mut pos = head.first_cluster;
    let mut cue_points = Vec::new();
    let mut summary = MuxSummary::default();
    let mut last_tc: Option<u64> = None;
    while pos < len {
        let Some(hbuf) = read_at(f, pos, (len - pos).min(12) as usize)? else { break };
        let Some((id, sz, hl)) = header(&hbuf, 0) else { break };
        if id != ID_CLUSTER || sz > SCAN_MAX_CLUSTER {
            break; // Cues of an almost-finished file, a torn header, or garbage: stop here.
        }
        let body_at = pos + hl as u64;
        if body_at.saturating_add(sz) > len {
            break; // torn cluster
        }
        let Some(body) = read_at(f, body_at, sz as usize)? else { break };
        let Some((tc, frames, samples, end)) = scan_cluster(&body, head.fps, head.sample_rate) else { break };
        if last_tc.is_some_and(|l| tc < l) {
            break;
        }
        last_tc = Some(tc);
        if frames > 0 {
            cue_points.push((tc, pos - head.layout.seg_data));
        }
        summary.video_frames += frames;
        summary.audio_samples += samples;
        summary.clusters += 1;
        summary.duration_ms = summary.duration_ms.max(end);
        pos = body_at + sz;
    }
    summary.bytes = pos;
    Ok(Ok(Scan { head, good_end: pos, cue_points, summary }))
}

/// Counts the frames and samples of a file written by [`MkvWriter`] (read-only).
pub fn count_media(path: &std::path::Path) -> Result<(u64, u64), Error> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    match scan(&mut f, len)? {
        Ok(s) => Ok((s.summary.video_frames, s.summary.audio_samples)),
        Err(why) => Err(Error::malformed("matroska", why)),
    }
}

/// Scans a partial file and, if at least one complete cluster with video survives, finalises
/// it in place (Cues, Duration, SeekHead, Segment size). Returns what it did and, when
/// finalised, the new length: the caller truncates the file there. Idempotent: a finished
/// file is re-finalised to the same content.
pub fn recover_in<F: Read + Write + Seek>(f: &mut F, len: u64) -> Result<(Recovery, u64), Error> {
    let s = match scan(f, len)? {
        Ok(s) => s,
        Err(why) => return Ok((Recovery::Discard(why), len)),
    };
    if s.summary.video_frames == 0 {
        return Ok((Recovery::Discard("no complete cluster with video".into()), len));
    }
    let file_end = finalise_at(f, &s.head.layout, s.good_end, &s.cue_points, s.summary.duration_ms)?;
    let mut summary = s.summary;
    summary.bytes = file_end;
    Ok((Recovery::Finalised(summary), file_end))
}

/// [`recover_in`] on a file: finalises and truncates it, or leaves it for the caller to delete.
pub fn recover(path: &std::path::Path) -> Result<Recovery, Error> {
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(path)?;
    let len = f.metadata()?.len();
    let (outcome, end) = recover_in(&mut f, len)?;
    if matches!(outcome, Recovery::Finalised(_)) {
        f.set_len(end)?;
        f.sync_all()?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vint_sizes_roundtrip() {
        for v in [0u64, 1, 126, 127, 128, 16_382, 16_383, 1 << 20, (1 << 56) - 2] {
            let mut b = Vec::new();
            put_size(&mut b, v);
            let (got, len) = vint(&b, 0, false).unwrap_or((u64::MAX, 0));
            assert_eq!((got, len), (v, b.len()), "size {v}");
        }
    }

    #[test]
    fn seekhead_fills_reservation_exactly() {
        let s = seekhead(&[(ID_INFO, 1), (ID_TRACKS, 2), (ID_CUES, u64::MAX >> 8)]);
        assert_eq!(s.len(), SEEKHEAD_RESERVED);
        assert_eq!(void(SEEKHEAD_RESERVED).len(), SEEKHEAD_RESERVED);
    }
}
