//! `lambda-test serve`: the local Lambda as a standalone server for the AWS CLI, boto3 or any SDK.
//!
//! ```text
//! lambda-test serve --config lambda-test.toml --port 9001
//! aws lambda invoke --endpoint-url http://127.0.0.1:9001 --function-name greeter out.json
//! curl http://127.0.0.1:9001/lambda-url/greeter/hello   # a function with a [functions.greeter.url]
//! ```

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lambda_test::config::Config;
use lambda_test::emulator::{Emulator, Options};

#[derive(Parser)]
#[command(name = "lambda-test", version, about = "A faithful local AWS Lambda")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Invoke API for the functions of a config file.
    Serve {
        /// The `lambda-test.toml` to serve.
        #[arg(long, default_value = "lambda-test.toml")]
        config: PathBuf,
        /// Address to bind; only loopback unless told otherwise.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Port to bind; 0 picks a free one (printed when ready).
        #[arg(long, default_value_t = 9001)]
        port: u16,
        /// Do not log each invocation.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread: an invocation passes between the caller's connection, the pool and the
    // instance's Runtime API connections, and on one thread each hand-off is a queue push
    // where worker threads wake each other with futexes and eventfd writes (BENCHMARKS.md,
    // "Server CPU per invocation"). The functions run in processes of their own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("failed to start the runtime");
    match cli.command {
        Command::Serve {
            config,
            host,
            port,
            quiet,
        } => runtime.block_on(serve(config, SocketAddr::new(host, port), quiet)),
    }
}

async fn serve(config_path: PathBuf, address: SocketAddr, quiet: bool) -> ExitCode {
    let config = match Config::load(&config_path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("lambda-test: {e}");
            return ExitCode::from(2);
        }
    };
    let functions: Vec<String> = config.functions.keys().cloned().collect();
    let urls: Vec<(String, String)> = config
        .functions
        .values()
        .filter_map(|f| {
            let url = f.url.as_ref()?;
            let mode = format!("{}, {}", url.auth_type, url.invoke_mode);
            Some((f.name.clone(), mode))
        })
        .collect();
    let mut options = Options::default();
    options.log_invocations = !quiet;
    let emulator = match Emulator::start_with(config, address, options).await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("lambda-test: {e}");
            return ExitCode::from(1);
        }
    };
    for function in &functions {
        if let Err(e) = emulator.check_binary(function) {
            eprintln!("lambda-test: warning: {e}");
        }
    }
    println!(
        "lambda-test: serving {} at {}",
        functions.join(", "),
        emulator.endpoint()
    );
    // After the banner, which scripts wait for: one line per Function URL.
    for (name, mode) in &urls {
        println!(
            "lambda-test: Function URL of {name} ({mode}): {}/lambda-url/{name}/",
            emulator.endpoint()
        );
    }
    let _ = std::io::stdout().flush();

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("failed to listen for SIGTERM");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    eprintln!("lambda-test: stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
