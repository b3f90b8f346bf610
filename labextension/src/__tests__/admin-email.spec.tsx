import React, { act } from 'react';

import { EmailWhenEnds, emailChosen, setEmailSetting } from '../notifychoice';
import { createRoot } from './reactroot';

describe('EmailWhenEnds', () => {
  it('is shown only when the server sends mail, and ticking it asks for e-mail', () => {
    const container = document.createElement('div');
    const root = createRoot(container);
    act(() => setEmailSetting({ enabled: false, address: null }));
    act(() => root.render(<EmailWhenEnds />));
    expect(container.querySelector('input')).toBeNull();
    act(() => setEmailSetting({ enabled: true, address: 'ada@example.org' }));
    const box = container.querySelector<HTMLInputElement>(
      'input[type="checkbox"]'
    );
    expect(box).not.toBeNull();
    expect(container.textContent).toContain('E-mail me when it ends');
    expect(container.querySelector('label')?.title).toBe(
      'Sent to ada@example.org'
    );
    if (box!.checked) {
      act(() => box!.click());
    }
    expect(emailChosen()).toBe(false);
    act(() => box!.click());
    expect(emailChosen()).toBe(true);
    expect(localStorage.getItem('jupyter-remotem:notify-email')).toBe('1');
    act(() => box!.click());
    expect(emailChosen()).toBe(false);
    act(() => root.unmount());
  });
});
