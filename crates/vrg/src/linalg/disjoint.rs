//! The one raw pointer that parallel kernels share: tasks that each write a
//! disjoint part of one buffer (rows or column ranges of a matrix) reach it
//! through a [`DisjointMut`], since safe Rust cannot split a strided matrix
//! by columns. Every `Send`/`Sync` promise of the linear algebra is made
//! here, once.

/// A pointer into a buffer shared by tasks that write disjoint parts of it
/// (the AVX-512 product's shares of C, the sparse product's column tiles,
/// [`super::aligned::SlabMut`] and [`super::aligned::RowPieces`]).
///
/// Making one is safe; every access goes through `unsafe` pointer
/// arithmetic whose caller must show that the element exists and that no
/// other task reads or writes it meanwhile.
pub(crate) struct DisjointMut<T>(*mut T);

impl<T> DisjointMut<T> {
    /// The start of `buffer`, to be cut into disjoint parts.
    pub(crate) fn new(buffer: &mut [T]) -> Self {
        DisjointMut(buffer.as_mut_ptr())
    }

    /// The pointer (a method, so that closures capture the whole wrapper,
    /// not its non-`Send` field).
    #[inline(always)]
    pub(crate) fn get(self) -> *mut T {
        self.0
    }

    /// The pointer `count` elements further on, computed with wrapping
    /// arithmetic (so creating it is safe; dereferencing it is not).
    #[inline(always)]
    pub(crate) fn wrapping_add(self, count: usize) -> Self {
        DisjointMut(self.0.wrapping_add(count))
    }
}

impl<T> Clone for DisjointMut<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for DisjointMut<T> {}

impl<T> std::fmt::Debug for DisjointMut<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DisjointMut").field(&self.0).finish()
    }
}

// SAFETY: a DisjointMut only hands out its address; the elements are
// reached through `unsafe` code whose callers guarantee that the parts
// written by different threads are disjoint and that nothing else touches
// them meanwhile. Sending that address to another thread therefore moves
// at most `T`s across threads, hence `T: Send`.
unsafe impl<T: Send> Send for DisjointMut<T> {}
// SAFETY: as above: sharing the address lets each thread write only its own
// part, which is exclusive to it, so no `T` is ever reached from two threads
// at once.
unsafe impl<T: Send> Sync for DisjointMut<T> {}
