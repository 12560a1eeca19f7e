//! A future polled only when it has woken its task.
//!
//! `tokio::select!` polls every branch each time its task wakes. The link's loop wakes
//! for every message, and one of its branches waits for the stop signal: polling
//! Tokio's two signal listeners (SIGINT, SIGTERM) each time cost a partner agent about
//! a twentieth of its instructions per bevraging. [`PolledWhenWoken`] wraps such a
//! future: it is polled the first time and afterwards only once it has called its
//! waker, which it then passes on to the task polling the wrapper.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// `F`, polled only on the first poll and after it woke its task.
pub struct PolledWhenWoken<F> {
    inner: Pin<Box<F>>,
    wakes: Arc<Wakes>,
}

/// What the inner future's waker does: notes that it was called and wakes the task
/// that last polled the wrapper.
struct Wakes {
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wakes {
    fn lock_task(&self) -> std::sync::MutexGuard<'_, Option<Waker>> {
        // Holds only a waker; nothing half-done after a panic elsewhere.
        self.task.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        // Woken outside the lock: the task may poll the wrapper at once.
        let task = self.lock_task().clone();
        if let Some(task) = task {
            task.wake();
        }
    }
}

impl<F: Future> PolledWhenWoken<F> {
    pub fn new(inner: F) -> PolledWhenWoken<F> {
        PolledWhenWoken {
            inner: Box::pin(inner),
            wakes: Arc::new(Wakes {
                // Polled the first time: nothing has registered a waker yet.
                woken: AtomicBool::new(true),
                task: Mutex::new(None),
            }),
        }
    }
}

impl<F: Future> Future for PolledWhenWoken<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        {
            let mut task = self.wakes.lock_task();
            if !task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
                *task = Some(cx.waker().clone());
            }
        }
        // Cleared before the inner poll: a wake during it is not lost.
        if !self.wakes.woken.swap(false, Ordering::SeqCst) {
            return Poll::Pending;
        }
        let waker = Waker::from(self.wakes.clone());
        self.inner.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    /// Counts its polls; ready once `ready` is set, waking the last waker it got when
    /// set through [`Counted::finish`].
    struct Counted {
        polls: Arc<AtomicUsize>,
        ready: Arc<AtomicBool>,
        waker: Arc<Mutex<Option<Waker>>>,
    }

    impl Future for Counted {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            if self.ready.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    struct Handle {
        polls: Arc<AtomicUsize>,
        ready: Arc<AtomicBool>,
        waker: Arc<Mutex<Option<Waker>>>,
    }

    impl Handle {
        fn finish(&self) {
            self.ready.store(true, Ordering::SeqCst);
            if let Some(w) = self.waker.lock().unwrap().take() {
                w.wake();
            }
        }
        fn polls(&self) -> usize {
            self.polls.load(Ordering::SeqCst)
        }
    }

    fn counted() -> (Counted, Handle) {
        let polls = Arc::new(AtomicUsize::new(0));
        let ready = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(Mutex::new(None));
        (
            Counted {
                polls: polls.clone(),
                ready: ready.clone(),
                waker: waker.clone(),
            },
            Handle {
                polls,
                ready,
                waker,
            },
        )
    }

    /// Counts the wakes of the task polling the wrapper.
    struct TaskWakes(AtomicUsize);
    impl Wake for TaskWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn the_inner_future_is_polled_first_and_then_only_after_it_woke() {
        let (inner, handle) = counted();
        let mut wrapped = PolledWhenWoken::new(inner);
        let task = Arc::new(TaskWakes(AtomicUsize::new(0)));
        let waker = Waker::from(task.clone());
        let mut cx = Context::from_waker(&waker);
        for _ in 0..100 {
            assert!(Pin::new(&mut wrapped).poll(&mut cx).is_pending());
        }
        assert_eq!(handle.polls(), 1, "polled once, for its first waker");
        handle.finish();
        assert_eq!(
            task.0.load(Ordering::SeqCst),
            1,
            "its wake reached the task"
        );
        assert!(Pin::new(&mut wrapped).poll(&mut cx).is_ready());
        assert_eq!(handle.polls(), 2);
    }

    /// Woken from another thread while its task sleeps, as a stop signal is.
    #[tokio::test]
    async fn a_wake_from_elsewhere_ends_the_wait() {
        let (inner, handle) = counted();
        let wrapped = PolledWhenWoken::new(inner);
        let finisher = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            handle.finish();
            handle
        });
        tokio::time::timeout(Duration::from_secs(10), wrapped)
            .await
            .expect("the wrapper completes once its future is woken");
        let handle = finisher.join().expect("thread");
        assert_eq!(handle.polls(), 2);
    }
}
