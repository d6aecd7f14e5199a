"""The ``rllib-gnn`` command line. Heavy imports (torch, Ray) happen inside subcommands only."""

from __future__ import annotations

import argparse
import json
import sys

from envs.compare import HELD_OUT_SEED
from rllib_gnn.training.memory import keep_freed_memory


def _int_at_least(minimum: int):
    """An argparse type: an integer ``>= minimum`` (argparse names the option)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {value}")
        return value
    return parse


def _json_object(text: str) -> dict:
    """An argparse type: a JSON object (an env config), e.g. ``{"max_nodes": 50}``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON ({err}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"must be a JSON object such as '{{\"max_nodes\": 50}}', got {text!r}")
    return value


class _Decoding(argparse.Action):
    """``--top-fraction F`` / ``--prob-ratio R``: ``args.decoding = {"top_fraction": F}``,
    checked by :class:`rllib_gnn.nn.decoding.Decoding` (imported only when given)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from rllib_gnn.nn.decoding import Decoding

        config = {option_string.lstrip("-").replace("-", "_"): values}
        try:
            Decoding.parse(config)
        except ValueError as err:
            raise argparse.ArgumentError(self, str(err)) from None
        setattr(namespace, self.dest, config)


def _cmd_envs(args: argparse.Namespace) -> int:
    from envs.catalog import ENVS

    for name, entry in ENVS.items():
        line = f"{name:16s} {'multi-agent' if entry.multi_agent else 'single-agent':12s} " \
               f"metric={entry.metric} ({entry.goal})  baselines={'|'.join(entry.baselines)}" \
               f"  {entry.summary}"
        print(line)
        if args.spaces:
            env = entry.make(None)
            if entry.multi_agent:
                agent = env.possible_agents[0]
                print(f"    observation: {env.observation_space(agent)}")
                print(f"    action:      {env.action_space(agent)}")
            else:
                print(f"    observation: {env.observation_space}")
                print(f"    action:      {env.action_space}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from envs.catalog import entry
    from envs.compare import compare
    from rllib_gnn.service.tables import format_evaluation

    env_entry = entry(args.env)
    config = args.env_config
    players = {name: env_entry.baseline(name) for name in env_entry.baselines}
    rows = compare(env_entry, players, config, args.episodes, args.seed)
    print(f"{args.env}: {args.episodes} episodes, seeds {args.seed}..{args.seed + args.episodes - 1}")
    print(format_evaluation(rows))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from rllib_gnn.training.experiment import load_experiment

    experiment = load_experiment(args.file, args.set)  # validated before Ray starts
    from rllib_gnn.training.tuner import train

    results = train(experiment, resume=args.resume)
    try:
        best = results.get_best_result()
    except RuntimeError:  # no trial reported tune.metric (e.g. no episode ever ended)
        print(f"rllib-gnn: no trial reported tune.metric {experiment['tune']['metric']!r}: "
              f"no best checkpoint to evaluate (`rllib-gnn evaluate CHECKPOINT` takes any)",
              file=sys.stderr)
        return 0
    if best.checkpoint is not None and experiment["evaluation"]["episodes"] > 0:
        from rllib_gnn.service.evaluation import evaluate
        from rllib_gnn.service.tables import format_record

        print(f"\nevaluating {best.checkpoint.path} on "
              f"{json.dumps(experiment['evaluation']['env_config']) or 'the training graphs'}")
        print(format_record(evaluate(best.checkpoint.path)))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from rllib_gnn.service.evaluation import evaluate
    from rllib_gnn.service.tables import format_record

    print(format_record(evaluate(args.checkpoint, args.env_config, args.episodes, args.sample,
                                 args.seed, args.out, sampled=args.sampled,
                                 decoding=args.decoding, baselines=args.baselines,
                                 improve=args.improve)))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from rllib_gnn.service.report import report

    for path in report(args.run_dir, args.out, args.metric or None):
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="rllib-gnn", description="Graph neural network policies for Ray RLlib.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="run an experiment YAML (one run or a Tune sweep)")
    p.add_argument("file", help="experiment YAML, e.g. tune_configs/quickstart.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a key of the file (YAML value), repeatable")
    p.add_argument("--resume", action="store_true",
                   help="continue the unfinished run of this experiment from its checkpoints")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", help="compare a checkpoint's policy with the env's baselines")
    p.add_argument("checkpoint", help="a checkpoint dir written by `rllib-gnn train`")
    p.add_argument("--env-config", type=_json_object, default=None,
                   help="JSON overrides of the training env_config, e.g. larger graphs "
                        "(default: the experiment's evaluation.env_config)")
    p.add_argument("--episodes", type=_int_at_least(1), default=None,
                   help="default: the experiment's")
    p.add_argument("--sample", type=_int_at_least(0), default=None, metavar="K",
                   help="also report the best of K sampled rollouts per episode")
    p.add_argument("--sampled", action="store_true",
                   help="also report the policy sampling its actions instead of the argmax")
    p.add_argument("--seed", type=_int_at_least(0), default=HELD_OUT_SEED,
                   help=f"first episode seed (default {HELD_OUT_SEED}: the held-out episodes)")
    p.add_argument("--out", default=None, help="folder for the JSON/CSV tables")
    p.add_argument("--baselines", nargs="+", default=None, metavar="NAME",
                   help="play only these baselines (default: all of the env's; e.g. leave "
                        "out `exact` where the graphs are too large for it)")
    p.add_argument("--improve", action="store_true",
                   help="also the env's local improvement at inference after the policy and "
                        "each baseline but the reference (mvc: drop redundant cover nodes)")
    picks = p.add_mutually_exclusive_group()
    picks.add_argument("--top-fraction", type=float, dest="decoding", metavar="F",
                       action=_Decoding, help="commit the ceil(F x valid) best picks per "
                       "forward pass, F in (0, 1] (node/edge-selection envs: mvc, matching)")
    picks.add_argument("--prob-ratio", type=float, dest="decoding", metavar="R",
                       action=_Decoding, help="commit every pick at least R x as probable as "
                       "the best per forward pass, R in (0, 1]")
    picks.add_argument("--one-pick", dest="decoding", action="store_const", const={},
                       help="one pick per forward pass (the default, unless the experiment's "
                            "evaluation.decoding says otherwise)")
    p.set_defaults(func=_cmd_evaluate, decoding=None)

    p = sub.add_parser("report", help="learning curves and evaluation tables of a run dir, "
                                      "or the tables of evaluation record files")
    p.add_argument("run_dir", help="<storage>/<name> of a run, an evaluation record file "
                                   "(JSON) or a folder of them")
    p.add_argument("--out", default=None, help="default: RUN_DIR/report")
    p.add_argument("--metric", action="append", default=[], help="result column(s) to plot")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("envs", help="list the registered environments")
    p.add_argument("--spaces", action="store_true", help="also print observation/action spaces")
    p.set_defaults(func=_cmd_envs)

    p = sub.add_parser("demo", help="play an env's baselines on the same seeded episodes")
    p.add_argument("env", nargs="?", default="mvc", help="env name (see `rllib-gnn envs`)")
    p.add_argument("--episodes", type=_int_at_least(1), default=20)
    p.add_argument("--seed", type=_int_at_least(0), default=HELD_OUT_SEED,
                   help="first episode seed")
    p.add_argument("--env-config", type=_json_object, default=None, help="env config as JSON")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    keep_freed_memory()  # large-graph forward passes: no page faults per pass
    try:
        return args.func(args)
    except ValueError as err:  # bad user input: one line, no traceback
        print(f"rllib-gnn: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
