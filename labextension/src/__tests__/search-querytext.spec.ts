import {
  completeKey,
  facetTerm,
  hasTopLevelOr,
  keyPrefixAt,
  quoteValue,
  withFacet
} from '../search/querytext';

describe('facet → query text', () => {
  it('writes values bare when they read back as themselves', () => {
    expect(facetTerm('format', 'npy')).toBe('format:npy');
    expect(facetTerm('repository', 'demo-2')).toBe('repository:demo-2');
  });

  it('quotes values that would read as something else', () => {
    expect(quoteValue('in focus')).toBe('"in focus"');
    expect(quoteValue('OR')).toBe('"OR"');
    expect(quoteValue('2024')).toBe('"2024"');
    expect(quoteValue('a*b')).toBe('"a*b"');
    expect(quoteValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteValue('back\\slash')).toBe('"back\\\\slash"');
    expect(facetTerm('tag', 'in focus')).toBe('tag:"in focus"');
  });

  it('starts a blank query with the term', () => {
    expect(withFacet('  ', 'format', 'mib')).toBe('format:mib');
  });

  it('adds the term with AND', () => {
    expect(withFacet('desc.beam_energy:>100keV', 'tag', 'good')).toBe(
      'desc.beam_energy:>100keV AND tag:good'
    );
  });

  it('keeps an OR from swallowing the term', () => {
    expect(withFacet('format:npy OR format:mib', 'format', 'npy')).toBe(
      '(format:npy OR format:mib) AND format:npy'
    );
    expect(withFacet('format:npy OR format:mib', 'repository', 'demo')).toBe(
      '(format:npy OR format:mib) AND repository:demo'
    );
    expect(withFacet('(a OR b) c', 'tag', 'x')).toBe('(a OR b) c AND tag:x');
  });

  it('does not add a term the query has already', () => {
    expect(withFacet('tag:good AND format:mib', 'format', 'mib')).toBe(
      'tag:good AND format:mib'
    );
    expect(withFacet('format:mib2', 'format', 'mib')).toBe(
      'format:mib2 AND format:mib'
    );
    expect(withFacet('NOT format:mib', 'format', 'mib')).toBe(
      'NOT format:mib AND format:mib'
    );
    expect(withFacet('(a OR format:mib) b', 'format', 'mib')).toBe(
      '(a OR format:mib) b AND format:mib'
    );
  });

  it('finds OR only where it joins the top level', () => {
    expect(hasTopLevelOr('a OR b')).toBe(true);
    expect(hasTopLevelOr('(a OR b)')).toBe(false);
    expect(hasTopLevelOr('name:"x OR y"')).toBe(false);
    expect(hasTopLevelOr('name:ORBIT')).toBe(false);
    expect(hasTopLevelOr('key:{a, OR}')).toBe(false);
    expect(hasTopLevelOr('(a) OR(b)')).toBe(true);
    expect(hasTopLevelOr('(a)OR (b)')).toBe(true);
    expect(hasTopLevelOr('name:"a \\" OR b"')).toBe(false);
  });
});

describe('key completion', () => {
  it('completes a key path after a namespace', () => {
    const text = 'tag:good AND desc.be';
    expect(keyPrefixAt(text, text.length)).toEqual({
      start: 13,
      end: text.length,
      word: 'desc.be'
    });
    expect(keyPrefixAt('(meta.hdf5', 10)?.word).toBe('meta.hdf5');
    expect(keyPrefixAt('data.', 5)?.word).toBe('data.');
  });

  it('leaves other words, and keys whose value is under way, alone', () => {
    expect(keyPrefixAt('format:npy', 10)).toBeNull();
    expect(keyPrefixAt('wedge', 5)).toBeNull();
    expect(keyPrefixAt('desc.beam:200', 13)).toBeNull();
    expect(keyPrefixAt('desc.beam:200', 6)).toBeNull();
    expect(keyPrefixAt('name:"desc.x', 12)).toBeNull();
  });

  it('replaces the word typed with the key and a colon, caret after it', () => {
    const text = 'desc.be AND tag:good';
    const at = keyPrefixAt(text, 7)!;
    expect(completeKey(text, at, 'desc.beam_energy')).toEqual({
      text: 'desc.beam_energy: AND tag:good',
      caret: 17
    });
  });
});
