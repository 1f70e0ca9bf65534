/// Memory freed on another thread than it was taken on (a message's rows, built by a
/// session and freed by the archive writer) costs the system allocator dearly: a
/// quarter of the server's time under load. mimalloc frees it cheaply.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    meerkat::cli::main()
}
