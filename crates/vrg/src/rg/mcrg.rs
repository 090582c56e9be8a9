//! Swendsen's Monte Carlo RG (issue #16; being built).
