//! (being written)
/// Entry point of the `nfsim` binary.
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
