// Constants that two layers must agree on but may not import from each other (hdl knows nothing of
// models): the 2-bit ternary code of the HDL lane and of the numerics spec / packed format.
import { expect, it } from 'vitest';
import { TERNARY_CODE } from '../hdl/lib/ternary-lane.ts';
import { TERNARY_2BIT } from '../numerics/formats.ts';

it('the HDL lane and the numerics spec use the same 2-bit ternary code', () => {
  expect({ zero: TERNARY_CODE.zero, plus: TERNARY_CODE.plus, minus: TERNARY_CODE.minus }).toEqual({ zero: TERNARY_2BIT.zero, plus: TERNARY_2BIT.plus, minus: TERNARY_2BIT.minus });
});
