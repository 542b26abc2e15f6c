//! `lathe-serve BUNDLE [--host H] [--port P] …`: the model server alone, for
//! container images (no TUI, no training, no polars). Exit 2 when the bundle
//! cannot be served (not a bundle, changed, from a newer lathe, bad flags).

use clap::Parser;

#[derive(Parser)]
#[command(name = "lathe-serve", version = lathe::VERSION, about = "Serve a lathe model bundle over HTTP (Open Inference Protocol v2 and MLflow scoring)")]
struct Cli {
    #[command(flatten)]
    serve: lathe::serve::ServeArgs,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = lathe::serve::main_with(&cli.serve) {
        eprintln!("lathe-serve: {e}");
        std::process::exit(2);
    }
}
