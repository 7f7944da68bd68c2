//! The `nfsim` command: everything lives in the library's `cli` layer.

fn main() -> std::process::ExitCode {
    nfsim::cli::main()
}
