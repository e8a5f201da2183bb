//! Voice recordings through the real GStreamer pipeline (`audiotestsrc` stands in for the
//! microphone): the file is Ogg with an Opus stream (RFC 7845: `OpusHead` then `OpusTags`
//! packets), its last granule position (48 kHz samples) matches how long it ran, and a
//! cancelled recording leaves nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use linnet_media::{Recording, Source};

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("linnet-media-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("Voice message.ogg")
}

#[test]
fn a_recording_is_ogg_opus_as_long_as_it_ran() {
    let path = temp("whole");
    let recording = Recording::start(&path, Source::TestTone).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let recorded = recording.finish().unwrap();
    assert_eq!(recorded.path, path);
    assert!(recorded.duration >= Duration::from_millis(1500));

    let file = std::fs::File::open(&path).unwrap();
    let mut reader = ogg::PacketReader::new(file);
    let mut packets = Vec::new();
    let mut last_granule = 0;
    while let Some(packet) = reader.read_packet().unwrap() {
        last_granule = last_granule.max(packet.absgp_page());
        packets.push(packet.data);
    }
    assert!(packets[0].starts_with(b"OpusHead"), "RFC 7845 §5.1");
    assert!(packets[1].starts_with(b"OpusTags"), "RFC 7845 §5.2");
    assert!(packets.len() > 10, "{} packets", packets.len());
    // Granule positions count 48 kHz samples (RFC 7845 §4), the pre-skip included.
    let seconds = last_granule as f64 / 48_000.0;
    assert!((1.2..2.2).contains(&seconds), "{seconds} s of audio");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn a_cancelled_recording_leaves_no_file() {
    let path = temp("cancelled");
    let recording = Recording::start(&path, Source::TestTone).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    recording.cancel();
    assert!(!path.exists());
    // Dropped unfinished: the same.
    let recording = Recording::start(&path, Source::TestTone).unwrap();
    drop(recording);
    assert!(!path.exists());
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}
