"""The ``rllib-gnn`` command line. Heavy imports (torch, Ray) happen inside subcommands only."""

from __future__ import annotations

import argparse
import json
import sys


def _cmd_envs(args: argparse.Namespace) -> int:
    from envs.catalog import ENVS

    for name, entry in ENVS.items():
        line = f"{name:16s} {'multi-agent' if entry.multi_agent else 'single-agent':12s} " \
               f"metric={entry.metric} ({entry.goal})  {entry.summary}"
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
    from envs.compare import compare, format_table

    env_entry = entry(args.env)
    config = json.loads(args.env_config) if args.env_config else None
    players = {name: env_entry.baseline(name) for name in env_entry.baselines}
    rows = compare(env_entry, players, config, args.episodes, args.seed)
    print(f"{args.env}: {args.episodes} episodes, seeds {args.seed}..{args.seed + args.episodes - 1}")
    print(format_table(rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="rllib-gnn", description="Graph neural network policies for Ray RLlib.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("envs", help="list the registered environments")
    p.add_argument("--spaces", action="store_true", help="also print observation/action spaces")
    p.set_defaults(func=_cmd_envs)

    p = sub.add_parser("demo", help="play an env's baselines on the same seeded episodes")
    p.add_argument("env", nargs="?", default="mvc", help="env name (see `rllib-gnn envs`)")
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env-config", default=None, help="env config as JSON")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # bad user input: one line, no traceback
        print(f"rllib-gnn: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
