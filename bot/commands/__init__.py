"""The `canhgiac` command's subcommands that have grown beyond a few lines."""
