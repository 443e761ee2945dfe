// Zed runs language servers through an extension's WebAssembly: this one only says how to start
// `tally lsp` (the `tally` found on the worktree's PATH).
use zed_extension_api::{self as zed, LanguageServerId, Result};

struct Tally;

impl zed::Extension for Tally {
    fn new() -> Self {
        Tally
    }

    fn language_server_command(&mut self, _id: &LanguageServerId, worktree: &zed::Worktree) -> Result<zed::Command> {
        let command = worktree.which("tally").ok_or("tally is not on PATH: install it (swift build -c release) first")?;
        Ok(zed::Command { command, args: vec!["lsp".into()], env: Default::default() })
    }
}

zed::register_extension!(Tally);
