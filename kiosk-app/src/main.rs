//! `motcua`: parse the command line and run the chosen role — nothing else lives here.

fn main() -> anyhow::Result<()> {
    motcua_kiosk_app::cli::main()
}
