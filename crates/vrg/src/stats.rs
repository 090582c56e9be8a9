//! Monte Carlo statistics (in progress).
