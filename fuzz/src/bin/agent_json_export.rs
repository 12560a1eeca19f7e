//! The node agent's JSON record exports (`<category>/<pseudonym>.json`), written by
//! the partner's own systems. An error must never quote a value of the file: the
//! marker `Testmarker` planted in the seeds aborts the run when an error shows it.
use std::path::Path;

use treiter_policies::Category;

fn main() {
    let data = treiter_fuzz::input();
    let path = Path::new("/exports/politie-incidenten/subject.json");
    if let Err(error) = treiter_node_agent::sources::json_dir::parse_records(
        path,
        Category::PolitieIncidenten,
        &data,
    ) {
        let message = format!("{error} {error:?}");
        assert!(
            !message.contains("Testmarker"),
            "an error quotes a value of the export"
        );
    }
}
