//! Generates the gRPC code for `proto/*.proto`.
//!
//! protoc comes from `protoc-bin-vendored`: no system protoc is needed (nor
//! present on the build machines).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: a build script is single-threaded; nothing reads the environment
    // concurrently. tonic-prost-build finds protoc only through `PROTOC`.
    unsafe { std::env::set_var("PROTOC", protoc) };

    println!("cargo:rerun-if-changed=proto");
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_protos(
            &["proto/users.proto", "proto/posts.proto", "proto/feed.proto"],
            &["proto"],
        )?;
    Ok(())
}
