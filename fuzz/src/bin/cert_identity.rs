//! Identity extraction from a client certificate (DER): the OIN and the person id.
//! Body: `treiter_fuzz::targets::cert_identity`; AFL++ runs it in persistent mode.
fn main() {
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::cert_identity(data));
}
