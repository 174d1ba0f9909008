//! Writes the hand-written seeds of every target into `corpus/<target>/seed-<name>`.
//!
//! Run from the `fuzz` directory: `cargo run --example write_seeds`.

use std::fs;
use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, _) in websock_fuzz::TARGETS {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        for (name, bytes) in websock_fuzz::seeds::seeds(target) {
            fs::write(dir.join(format!("seed-{name}")), bytes)?;
        }
        println!(
            "{target}: {} seeds",
            websock_fuzz::seeds::seeds(target).len()
        );
    }
    Ok(())
}
