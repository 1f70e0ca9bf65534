fn main() -> std::process::ExitCode {
    meerkat::cli::main()
}
