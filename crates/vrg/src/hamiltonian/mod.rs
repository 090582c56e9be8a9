//! General spin Hamiltonians (in progress).
