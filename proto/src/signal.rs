//! The stop signal the hub and the agent both obey: Ctrl-C (SIGINT) or SIGTERM, the
//! signal systemd and container runtimes send.

/// Waits until the process is told to stop: Ctrl-C, or SIGTERM on Unix. When SIGTERM
/// cannot be watched (no signal handler could be installed), Ctrl-C alone stops it.
pub async fn wait_for_signal() {
    let ctrl_c = async {
        // An error means no handler could be installed: then this never fires, and
        // SIGTERM (below) is the only way to stop.
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
