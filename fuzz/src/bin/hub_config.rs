//! The hub's configuration file (TOML), validated as `hub check-config` does.
use std::path::Path;

fn main() {
    let data = treiter_fuzz::input();
    let text = String::from_utf8_lossy(&data);
    let _ = treiter_hub::config::HubConfig::parse(&text, Path::new("/etc/treiter-hub"));
}
