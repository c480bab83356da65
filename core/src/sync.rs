//! The synchronisation primitives core's cross-thread paths use, behind one import point so the
//! loom models (`core/tests/loom.rs`, README "Loom models") can swap them for loom's.
//!
//! Normal builds re-export `parking_lot`'s locks and `std`'s atomics and `Arc` unchanged: no
//! wrapper, no cost. Under `--cfg loom` the same names are thin wrappers over `loom::sync` with
//! `parking_lot`'s API (`lock()`, `read()` and `write()` return the guard directly), so the
//! code using them compiles unchanged and loom explores every interleaving of their operations.
//!
//! Loom's primitives may only be created and used inside `loom::model`; under `--cfg loom` only
//! the loom models are meant to run.

#[cfg(not(loom))]
pub use parking_lot::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(not(loom))]
pub use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub use std::sync::Arc;

#[cfg(loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub use loom::sync::{Arc, MutexGuard, RwLockReadGuard, RwLockWriteGuard};

/// A mutex with `parking_lot`'s API over `loom::sync::Mutex`.
#[cfg(loom)]
#[derive(Default)]
pub struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Mutex(loom::sync::Mutex::new(value))
    }

    /// Locks the mutex, blocking (in the model) until it is free.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().expect("loom mutex poisoned")
    }

    /// Locks the mutex if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.0.try_lock().ok()
    }

    /// The value, through exclusive access to the mutex.
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().expect("loom mutex poisoned")
    }

    /// The value, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.0.into_inner().expect("loom mutex poisoned")
    }
}

#[cfg(loom)]
impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

/// A reader-writer lock with `parking_lot`'s API over `loom::sync::RwLock`.
#[cfg(loom)]
#[derive(Default)]
pub struct RwLock<T>(loom::sync::RwLock<T>);

#[cfg(loom)]
impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    pub fn new(value: T) -> Self {
        RwLock(loom::sync::RwLock::new(value))
    }

    /// Shared access, blocking (in the model) while a writer holds the lock.
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.0.read().expect("loom rwlock poisoned")
    }

    /// Exclusive access, blocking (in the model) while anyone holds the lock.
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.0.write().expect("loom rwlock poisoned")
    }

    /// Shared access if no writer holds the lock.
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.0.try_read().ok()
    }

    /// Exclusive access if nobody holds the lock.
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.0.try_write().ok()
    }

    /// The value, through exclusive access to the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().expect("loom rwlock poisoned")
    }

    /// The value, consuming the lock.
    pub fn into_inner(self) -> T {
        self.0.into_inner().expect("loom rwlock poisoned")
    }
}

#[cfg(loom)]
impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}
