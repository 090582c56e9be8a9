//! Run-time processor dispatch: which vector instruction set the processor
//! has ([`isa`], detected once), and [`multiversion!`], which compiles one
//! element-wise body for AVX-512, AVX2 and a generic processor and picks
//! one at run time. The matrix products dispatch on their own:
//! [`super::sgemm::available`] and the sparse kernels ask [`isa`].

/// The vector instruction sets vrg's kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    /// AVX-512F and AVX-512DQ (with AVX-512VL, AVX2 and FMA).
    Avx512,
    /// AVX2 and FMA.
    Avx2,
    /// Anything else: the compiler's baseline.
    Generic,
}

/// The best [`Isa`] the running processor supports (detected once).
pub(crate) fn isa() -> Isa {
    use std::sync::OnceLock;
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512dq")
            {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Generic
    })
}

/// Defines a public element-wise function with AVX-512, AVX2 and generic
/// versions of the same body, chosen at run time by [`isa`].
macro_rules! multiversion {
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident : $ty:ty),*) $body:block) => {
        $crate::linalg::dispatch::multiversion! { $(#[$doc])* pub fn $name($($arg: $ty),*) -> () $body }
    };
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident : $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> $ret {
            use $crate::linalg::dispatch::{isa, Isa};
            #[inline(always)]
            fn body($($arg: $ty),*) -> $ret $body
            /// The body compiled for AVX-512.
            ///
            /// # Safety
            /// The processor supports AVX-512F, AVX-512DQ, AVX-512VL, AVX2
            /// and FMA ([`isa`] returned [`Isa::Avx512`]).
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
            unsafe fn avx512($($arg: $ty),*) -> $ret { body($($arg),*) }
            /// The body compiled for AVX2.
            ///
            /// # Safety
            /// The processor supports AVX2 and FMA ([`isa`] returned
            /// [`Isa::Avx2`] or [`Isa::Avx512`]).
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2($($arg: $ty),*) -> $ret { body($($arg),*) }
            match isa() {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the processor supports the enabled features (checked in `isa`).
                Isa::Avx512 => unsafe { avx512($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                Isa::Avx2 => unsafe { avx2($($arg),*) },
                _ => body($($arg),*),
            }
        }
    };
}

pub(crate) use multiversion;
