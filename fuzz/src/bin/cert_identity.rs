//! Identity extraction from a client certificate (DER): the OIN in `serialNumber`,
//! the person id in `UID`, as the hub's listener and services read it.
fn main() {
    let data = treiter_fuzz::input();
    let _ = treiter_hub::identity::identity_from_der(&data);
}
