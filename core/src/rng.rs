//! Randomness for mask keys and handshake keys, injectable for tests and fuzzing.

use alloc::boxed::Box;

/// A source of random bytes. RFC 6455 §10.3 requires mask keys that the peer cannot
/// predict, so production sources must be cryptographically secure.
pub trait Rng: Send {
    /// Fill `dest` with random bytes.
    fn fill_bytes(&mut self, dest: &mut [u8]);
}

/// A boxed random source, as stored in a connection.
pub type BoxRng = Box<dyn Rng>;

/// A CSPRNG (ChaCha12, from `rand::rngs::StdRng`) seeded once from the operating system.
#[cfg(feature = "std")]
pub struct OsSeededRng(rand::rngs::StdRng);

#[cfg(feature = "std")]
impl OsSeededRng {
    /// A new generator seeded from the operating system's entropy source.
    pub fn new() -> Self {
        use rand::SeedableRng;
        OsSeededRng(rand::rngs::StdRng::from_os_rng())
    }
}

#[cfg(feature = "std")]
impl Default for OsSeededRng {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "std")]
impl Rng for OsSeededRng {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand::RngCore::fill_bytes(&mut self.0, dest)
    }
}

/// A deterministic, **insecure** generator (xorshift64*) for tests and fuzzing.
///
/// Never use it for a real connection: its mask keys are predictable. Hidden from the
/// documented API: it exists for tests and fuzzing.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct DeterministicRng(u64);

impl DeterministicRng {
    /// A generator that yields the same sequence for the same seed.
    pub fn new(seed: u64) -> Self {
        DeterministicRng(seed | 1)
    }
}

impl Rng for DeterministicRng {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// The default source: [`OsSeededRng`] with `std`. Without `std` there is no default;
/// pass one to the configuration.
#[cfg(feature = "std")]
pub fn default_rng() -> BoxRng {
    Box::new(OsSeededRng::new())
}
