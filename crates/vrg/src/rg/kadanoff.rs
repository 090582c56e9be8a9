//! Kadanoff's 1975 variational RG and the Migdal–Kadanoff recursion for the 2D Ising model (issue #16; being built).
