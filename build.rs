//! Embeds every template under `prompts/` into the binary, so a new language (a `prompts/<lang>/`
//! folder) or a new template needs no code change to be compiled in.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("prompts");
    println!("cargo:rerun-if-changed={}", root.display());
    // `sqlx::migrate!` embeds these; with a build script, cargo only looks again when told to.
    println!("cargo:rerun-if-changed=migrations");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Every file under `prompts/`: (path relative to it, contents).\npub static PROMPTS: &[(&str, &str)] = &[\n",
    );
    for (relative, absolute) in &files {
        println!("cargo:rerun-if-changed={absolute}");
        writeln!(out, "    ({relative:?}, include_str!({absolute:?})),").expect("write to a string");
    }
    out.push_str("];\n");
    let target = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("prompts.rs");
    fs::write(target, out).expect("write prompts.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(root, &path, files);
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("hbs" | "json")) {
            let relative = path.strip_prefix(root).expect("under prompts/").to_string_lossy().replace('\\', "/");
            files.push((relative, path.to_string_lossy().into_owned()));
        }
    }
}
