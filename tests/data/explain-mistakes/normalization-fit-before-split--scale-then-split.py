# pattern of: tests/data/real-scripts/sklearn-classifier-comparison.py in this repository (verbatim, BSD-3-Clause,
#   https://github.com/scikit-learn/scikit-learn), line 81, labelled blind as normalization-fit-before-split
# written for kb (the mistake's shape); kb explain fires on that file too (tests/test_explain_rules.py)
# expect: normalization-fit-before-split line 10

from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

for X, y in datasets:
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=42)
