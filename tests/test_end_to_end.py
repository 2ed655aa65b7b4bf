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
