//! Linnet's media capture. Today: voice messages, recorded from the microphone with
//! GStreamer into Opus (RFC 6716) in Ogg (RFC 7845, `audio/ogg`), the format Conversations,
//! Dino, Gajim and Monal all play. The pipeline is
//! `source ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! opusenc !
//! oggmux ! filesink`, built element by element; the source is the system's default
//! microphone (`autoaudiosrc`) or, where a machine has no sound hardware (tests), GStreamer's
//! own `audiotestsrc` tone.
//!
//! Needs GStreamer 1.x with its "base" plugins (`opusenc`, `oggmux`, `audioconvert`,
//! `audioresample`, `audiotestsrc`) and "good" plugins (`autoaudiosrc`, PulseAudio).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;

/// What a recording listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The system's default microphone (`autoaudiosrc`).
    Microphone,
    /// A 440 Hz tone made by GStreamer (`audiotestsrc`), for machines without a microphone.
    TestTone,
}

/// Why recording failed, in words the user can act on.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// GStreamer or one of its plugins is not installed.
    #[error("Voice messages need GStreamer and its {0} plugin; install GStreamer's base and good plugins.")]
    Missing(String),
    /// The microphone could not be opened or stopped working.
    #[error("The microphone could not be used: {0}")]
    Microphone(String),
    /// The recording could not be written.
    #[error("The recording could not be saved: {0}")]
    File(String),
}

/// Bits per second of the Opus stream: 32 kbit/s, clear speech at about 240 kB a minute.
const BITRATE: i32 = 32_000;

/// How long the pipeline may take to start, and to finish writing after the end.
const SETTLE: Duration = Duration::from_secs(5);

/// One recording in progress. Dropping it without [`Recording::finish`] stops it and removes
/// the file (as [`Recording::cancel`]).
pub struct Recording {
    pipeline: gst::Pipeline,
    path: PathBuf,
    started: Instant,
    done: bool,
}

/// A finished recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The Ogg Opus file.
    pub path: PathBuf,
    /// How long it ran (wall clock).
    pub duration: Duration,
}

fn element(name: &str) -> Result<gst::Element, MediaError> {
    gst::ElementFactory::make(name)
        .build()
        .map_err(|_| MediaError::Missing(name.to_owned()))
}

/// The first error on the bus, if one is waiting (or comes within `wait`).
fn bus_error(pipeline: &gst::Pipeline, wait: gst::ClockTime) -> Option<String> {
    let bus = pipeline.bus()?;
    let message = bus.timed_pop_filtered(wait, &[gst::MessageType::Error])?;
    match message.view() {
        gst::MessageView::Error(e) => Some(e.error().to_string()),
        _ => None,
    }
}

impl Recording {
    /// Starts recording from `source` into `path` (created or replaced; its folder must
    /// exist).
    ///
    /// Errors: [`MediaError::Missing`] when GStreamer or a plugin is missing,
    /// [`MediaError::Microphone`] when the source does not start (no microphone, access
    /// refused).
    pub fn start(path: &Path, source: Source) -> Result<Self, MediaError> {
        gst::init().map_err(|_| MediaError::Missing("core".into()))?;
        let src = match source {
            Source::Microphone => element("autoaudiosrc")?,
            Source::TestTone => {
                let tone = element("audiotestsrc")?;
                tone.set_property("is-live", true);
                tone
            }
        };
        let convert = element("audioconvert")?;
        let resample = element("audioresample")?;
        let caps = element("capsfilter")?;
        caps.set_property(
            "caps",
            gst::Caps::builder("audio/x-raw")
                .field("rate", 48_000i32)
                .field("channels", 1i32)
                .build(),
        );
        let encoder = element("opusenc")?;
        encoder.set_property("bitrate", BITRATE);
        let mux = element("oggmux")?;
        let sink = element("filesink")?;
        sink.set_property("location", path.to_string_lossy().as_ref());
        let pipeline = gst::Pipeline::new();
        let chain = [&src, &convert, &resample, &caps, &encoder, &mux, &sink];
        pipeline
            .add_many(chain)
            .and_then(|()| gst::Element::link_many(chain))
            .map_err(|e| MediaError::Missing(format!("linking ({e})")))?;
        let recording = Self {
            pipeline,
            path: path.to_owned(),
            started: Instant::now(),
            done: false,
        };
        if let Err(e) = recording.pipeline.set_state(gst::State::Playing) {
            let why = bus_error(&recording.pipeline, gst::ClockTime::ZERO).unwrap_or(e.to_string());
            return Err(MediaError::Microphone(why));
        }
        // A source that fails to open says so on the bus as it starts.
        if let Some(why) = bus_error(&recording.pipeline, gst::ClockTime::from_mseconds(300)) {
            return Err(MediaError::Microphone(why));
        }
        Ok(recording)
    }

    /// How long it has been recording.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Ends the recording and finishes the file (the encoder and muxer flush to the end).
    ///
    /// Errors: [`MediaError::Microphone`] when the source failed meanwhile,
    /// [`MediaError::File`] when the file was not finished in time or is empty. The file is
    /// removed on error.
    pub fn finish(mut self) -> Result<Recorded, MediaError> {
        let duration = self.started.elapsed();
        self.pipeline.send_event(gst::event::Eos::new());
        let outcome = self.pipeline.bus().and_then(|bus| {
            bus.timed_pop_filtered(
                gst::ClockTime::from_seconds(SETTLE.as_secs()),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            )
        });
        let result = match outcome.as_ref().map(|m| m.view()) {
            Some(gst::MessageView::Eos(_)) => Ok(()),
            Some(gst::MessageView::Error(e)) => Err(MediaError::Microphone(e.error().to_string())),
            _ => Err(MediaError::File("it was not finished in time".into())),
        };
        let _ = self.pipeline.set_state(gst::State::Null);
        self.done = true;
        let result = result.and_then(|()| match std::fs::metadata(&self.path) {
            Ok(meta) if meta.len() > 0 => Ok(()),
            Ok(_) => Err(MediaError::File("nothing was recorded".into())),
            Err(e) => Err(MediaError::File(e.to_string())),
        });
        match result {
            Ok(()) => Ok(Recorded {
                path: self.path.clone(),
                duration,
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&self.path);
                Err(e)
            }
        }
    }

    /// Stops recording and removes the file.
    pub fn cancel(mut self) {
        self.stop_and_remove();
    }

    fn stop_and_remove(&mut self) {
        if !self.done {
            let _ = self.pipeline.set_state(gst::State::Null);
            let _ = std::fs::remove_file(&self.path);
            self.done = true;
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        self.stop_and_remove();
    }
}
