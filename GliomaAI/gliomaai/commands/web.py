"""`gliomaai web [--host 127.0.0.1] [--port P] [--cases DIR]`: the panels in a web browser (trame-slicer)."""

from pathlib import Path

from ..errors import GliomaAIError


def add_parser(subparsers):
    parser = subparsers.add_parser("web", help="serve GliomaAI as a web page: load a case, segment, correct with "
                                               "the Segment Editor, save the correction, impute, explain")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only; any other needs a token)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument("--cases", help="folder of cases, one subfolder each (default: the built-in phantom only)")
    parser.add_argument("--corrections", help="folder for saved corrections (default: ~/GliomaAI/corrections)")
    parser.add_argument("--token", help="token browsers must give as ?secret=TOKEN (default when not on "
                                        "127.0.0.1: $GLIOMAAI_WEB_TOKEN or a new random one, printed)")
    parser.add_argument("--model", default="default", help="segmentation model: built-in name, card or folder")
    parser.add_argument("--imputer", default="default", help="imputation model: built-in name, card or folder")
    parser.add_argument("--device", default="auto", help="cuda, mps, cpu or auto (default)")
    parser.set_defaults(run=run)


def run(args) -> int:
    try:
        from gliomaai_web.app import DEFAULT_CORRECTIONS, serve
    except ImportError as error:
        raise GliomaAIError(f"The web app cannot start: {error}.",
                            'Install it with: pip install "gliomaai[slicer]" (trame-slicer and slicer-core).') from error
    serve(args.host, args.port, args.cases, Path(args.corrections) if args.corrections else DEFAULT_CORRECTIONS,
          args.token, args.model, args.imputer, args.device)
    return 0
