//! Exact references (in progress).
