# SPDX-License-Identifier: BSD-3-Clause
"""The parts of :mod:`sklearn_rnn.persistence`.

``_spec``: what an estimator declares it saves; ``_registry``: the classes a
file may name; ``_archive``: the bounded reading and atomic writing of the
zip file; ``_writer`` and ``_reader``: values to JSON and arrays and back.
None of them imports torch at import time.
"""
