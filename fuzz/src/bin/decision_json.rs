//! DECISION-JSON: read one request or many, and decide each with the real covenant.
fn main() {
    let data = treiter_fuzz::input();
    let text = String::from_utf8_lossy(&data);
    let Ok(covenant) =
        treiter_policies::Covenant::parse("covenant", treiter_policies::TREITERAANPAK_COVENANT)
    else {
        return;
    };
    match treiter_policies::DecisionRequest::parse_json(&text) {
        Ok(treiter_policies::Requests::One(request)) => {
            let _ = covenant.decide(&request);
        }
        Ok(treiter_policies::Requests::Many(requests)) => {
            for request in &requests {
                let _ = covenant.decide(request);
            }
        }
        Err(_) => {}
    }
}
