//! End-to-end tests across crates (see `tests/`): the hub over HTTP under concurrency, crash
//! safety with a child process killed by SIGKILL, and helpers they share.

use std::sync::Arc;

use motcua_hub::{Config, Hub, SystemClock};

/// A kiosk token added to the sample configuration for tests.
pub const TEST_KIOSK_TOKEN: &str = "test-kiosk-token-0123456789abcdef";

/// The sample office plus a test kiosk device.
pub fn test_config() -> Config {
    let mut text = motcua_hub::config::SAMPLE.to_owned();
    text.push_str(&format!("\n[[device]]\nid = \"kiosk-test\"\nrole = \"kiosk\"\ntoken = \"{TEST_KIOSK_TOKEN}\"\n"));
    match Config::from_toml(&text) {
        Ok(c) => c,
        Err(e) => panic!("test config: {e}"),
    }
}

/// Open a hub on `db` with the test configuration and the system clock.
pub fn open_hub(db: &std::path::Path) -> Hub {
    match Hub::open(test_config(), db, Arc::new(SystemClock)) {
        Ok(h) => h,
        Err(e) => panic!("open hub: {e}"),
    }
}
