//! Second-order forward-mode jets (in progress).
