"""The whole pipeline on the synthetic episode, against the truth the episode was built with."""

from screanalytics_dagster.evaluation import evaluate


def test_persons_and_screen_time_match_the_truth(processed_episode, sample_episode):
    result = evaluate(processed_episode.store, processed_episode.ep_id, sample_episode)
    print(result.summary())
    assert result.f1 >= 0.97, result.summary()
    assert abs(result.n_persons - result.n_identities) <= 1, result.summary()
    assert result.max_screen_time_error <= 0.05, result.screen_time_error
    assert result.matched_faces > 0.9 * (result.matched_faces + result.unmatched_faces)


def test_every_true_identity_is_on_screen(processed_episode, sample_episode):
    result = evaluate(processed_episode.store, processed_episode.ep_id, sample_episode)
    assert set(result.screen_time_error) == set(sample_episode.identities)


def test_shot_cuts_are_found_where_the_episode_cuts(sample_episode):
    from screanalytics_dagster.vision.video import ShotDetector, sample_frames

    detector, cuts, shot = ShotDetector(), [], 0
    for frame in sample_frames(sample_episode.video_path):
        if detector.update(frame.image) != shot:
            shot += 1
            cuts.append(frame.index)
    true_cuts = [s.start_frame for s in sample_episode.shots[1:]]
    assert len(cuts) == len(true_cuts)
    assert all(0 <= c - t < 5 for c, t in zip(cuts, true_cuts))  # at the first sample after the cut
