import { forCall } from '../../services/core/shared/logging';

describe('forCall', () => {
  it('gives every part of one call the same child logger, carrying its callSid', () => {
    const a = forCall('CA00000000000000000000000000000001');
    expect(forCall('CA00000000000000000000000000000001')).toBe(a);
    expect(a.getPersistentLogAttributes()).toMatchObject({ callSid: 'CA00000000000000000000000000000001' });
  });

  it('gives another call its own', () => {
    const a = forCall('CA00000000000000000000000000000002');
    const b = forCall('CA00000000000000000000000000000003');
    expect(b).not.toBe(a);
    expect(b.getPersistentLogAttributes()).toMatchObject({ callSid: 'CA00000000000000000000000000000003' });
  });
});
