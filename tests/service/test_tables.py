"""The plain-text evaluation table (``rllib_gnn.service.tables.format_evaluation``)."""

from rllib_gnn.service.tables import format_evaluation


def test_format_evaluation_shows_mean_plus_minus_std_or_se():
    rows = [{"player": "policy", "episodes": 3, "cover_weight_mean": 2.0,
             "cover_weight_std": 0.5, "length_mean": 4.0, "ratio_to_exact": 1.25,
             "ratio_to_exact_se": 0.125, "se_below_diff": True, "wall_s": 0.5,
             "wall_s_per_episode": 0.1667},
            {"player": "exact", "episodes": 3, "cover_weight_mean": 1.6,
             "cover_weight_std": 0.25, "length_mean": 3.0, "ratio_to_exact": 1.0,
             "ratio_to_exact_se": 0.0, "se_below_diff": None}]
    lines = format_evaluation(rows).splitlines()
    assert lines[0].split() == ["player", "episodes", "cover_weight", "length",
                                "ratio_to_exact", "se_below_diff", "wall_s_per_episode"]
    assert "2.0000 ± 0.5000" in lines[2] and "1.2500 ± 0.1250" in lines[2]
    assert lines[2].split()[-2:] == ["yes", "0.1667"]
    assert "1.6000 ± 0.2500" in lines[3] and "1.0000 ± 0.0000" in lines[3]
    assert format_evaluation([]) == ""


def test_format_evaluation_shows_a_metric_no_episode_reported_as_a_dash():
    rows = [{"player": "shortest_path", "success_mean": 1.0, "success_std": 0.0,
             "path_ratio_mean": 1.0, "path_ratio_std": 0.0},
            {"player": "stay", "success_mean": 0.0, "success_std": 0.0,
             "path_ratio_mean": float("nan"), "path_ratio_std": float("nan")}]
    lines = format_evaluation(rows).splitlines()
    assert lines[0].split() == ["player", "success", "path_ratio"]
    assert lines[3].split() == ["stay", "0.0000", "±", "0.0000", "-"]
