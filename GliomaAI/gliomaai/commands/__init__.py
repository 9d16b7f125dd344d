"""One module per `gliomaai` subcommand: each adds its parser and runs it."""
