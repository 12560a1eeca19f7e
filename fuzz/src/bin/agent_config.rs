//! The node agent's configuration file (TOML).
use std::path::Path;

fn main() {
    let data = treiter_fuzz::input();
    let text = String::from_utf8_lossy(&data);
    let _ = treiter_node_agent::config::AgentConfig::parse(&text, Path::new("/etc/treiter-agent"));
}
