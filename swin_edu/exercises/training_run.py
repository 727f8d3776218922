"""Checks for notebook 10 (a training run): reading a confusion matrix."""

from __future__ import annotations

import torch

from swin_edu.exercises import number_value, report, run_answer, whole_number


def example_confusions() -> list[torch.Tensor]:
    """Confusion matrices (rows: true class, columns: prediction) worked out by hand, and one random one."""
    perfect = torch.diag(torch.tensor([5, 3, 2]))
    one_mistake = torch.tensor([[4, 1, 0], [0, 3, 0], [0, 0, 2]])  # one 0 taken for a 1: accuracy 9/10
    asymmetric = torch.tensor([[7, 0, 0], [0, 5, 4], [1, 0, 3]])  # 1 -> 2 four times, 2 -> 0 once: 15/20
    generator = torch.Generator().manual_seed(0)
    random = torch.randint(0, 9, (10, 10), generator=generator) + torch.diag(
        torch.randint(20, 40, (10,), generator=generator)
    )
    return [perfect, one_mistake, asymmetric, random]


def check_accuracy_from_confusion(accuracy: object) -> bool:
    """Check ``accuracy(confusion)``: the share of correct predictions, from the confusion matrix alone."""
    hint = "the correct predictions are on the diagonal (true class = predicted class): their sum over the sum of all."
    for confusion in example_confusions():
        expected = sum(int(confusion[k, k]) for k in range(len(confusion))) / int(confusion.sum())
        answer, problem = run_answer(accuracy, (confusion.clone(),), "accuracy")
        if problem is not None:
            return report(False, problem, hint)
        value, problem = number_value(answer, "the accuracy")
        if problem is not None:
            return report(False, problem, hint)
        if abs(value - expected) > 1e-6:
            return report(
                False, f"for {confusion.tolist()} you return {value:.4f}, the accuracy is {expected:.4f}.", hint
            )
    return report(True)


def check_most_confused(most_confused: object) -> bool:
    """Check ``most_confused(confusion)``: the ``(true, predicted)`` pair of the most frequent mistake."""
    hint = (
        "ignore the diagonal (those are right), then find the largest entry: its row is the true class, its "
        "column the prediction."
    )
    for confusion in example_confusions()[1:]:
        mistakes = [
            (int(confusion[t, p]), t, p) for t in range(len(confusion)) for p in range(len(confusion)) if t != p
        ]
        largest = max(count for count, _, _ in mistakes)
        right = {(t, p) for count, t, p in mistakes if count == largest}
        answer, problem = run_answer(most_confused, (confusion.clone(),), "most_confused")
        if problem is not None:
            return report(False, problem, hint)
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            return report(False, f"most_confused should return a pair (true, predicted), got {answer!r}.", hint)
        numbers = [whole_number(k, "a class") for k in answer]
        problems = [problem for _, problem in numbers if problem is not None]
        if problems:
            return report(False, problems[0], hint)
        pair = tuple(value for value, _ in numbers)
        if pair in right:
            continue
        if pair[::-1] in right:
            return report(
                False, f"for {confusion.tolist()} you return {pair}: the right classes, in the other order.", hint
            )
        if pair[0] == pair[1]:
            return report(False, f"you return {pair}: that is on the diagonal, a correct prediction.", hint)
        return report(
            False, f"for {confusion.tolist()} you return {pair}, the most frequent mistake is {min(right)}.", hint
        )
    return report(True)
