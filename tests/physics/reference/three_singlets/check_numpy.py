# cross-check of the Decimal Takagi against numpy (O(1) matrices, where float64 is adequate)
import numpy as np
from ref import *
rng = np.random.default_rng(1)
worst = 0
for trial in range(5):
    A = rng.normal(size=(8,8)) + 1j*rng.normal(size=(8,8)); A = A + A.T
    M = [[C(D(float(A[i,j].real)), D(float(A[i,j].imag))) for j in range(8)] for i in range(8)]
    m, U, sw = takagi(M)
    sv = np.sort(np.linalg.svd(A, compute_uv=False))
    Un = np.array([[complex(float(U[i][j].re), float(U[i][j].im)) for j in range(8)] for i in range(8)])
    rec = Un @ np.diag([float(x) for x in m]) @ Un.T
    worst = max(worst, np.max(np.abs(np.array([float(x) for x in m]) - sv)), np.max(np.abs(rec - A)))
print('max |m - numpy svd|, |U m U^T - A| :', worst)
# graded test: numpy float64 vs Decimal on a 5x5 effective matrix with modest hierarchy
