//! Thin entry point: parse the command line, set up logging, run the library.

use clap::Parser;

#[tokio::main]
async fn main() {
    cronkeeper::telemetry::init();
    let cli = cronkeeper::cli::Cli::parse();
    let code = match cronkeeper::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}
