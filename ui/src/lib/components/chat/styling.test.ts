// XEP-0393 message styling and XEP-0245 /me, with the XEP's examples.
import { describe, expect, test } from 'vitest';
import { meAction, parseLine, parseStyling, type Block, type Inline } from './styling';

const TAGS = { strong: 'b', emphasis: 'i', strike: 's', code: 'c' } as const;

/** Spans as text with tags: `*strong*` is "<b>*strong*</b>", a link is "[text](url)". */
function inline(items: readonly Inline[]): string {
  return items
    .map((item) => {
      switch (item.kind) {
        case 'text':
          return item.text;
        case 'link':
          return `[${item.text}](${item.url})`;
        case 'span': {
          const tag = TAGS[item.style];
          return `<${tag}>${item.marker}${inline(item.children)}${item.marker}</${tag}>`;
        }
      }
    })
    .join('');
}

/** Blocks one a line: a plain line as its spans, "pre{…}", "quote{…}" around their children. */
function blocks(items: readonly Block[]): string[] {
  return items.map((block) => {
    switch (block.kind) {
      case 'line':
        return inline(block.content);
      case 'pre':
        return `pre{${inline(block.content)}}`;
      case 'quote':
        return `quote{${blocks(block.children).join('|')}}`;
    }
  });
}

const styled = (body: string): string[] => blocks(parseStyling(body));
const line = (text: string): string => inline(parseLine(text));

describe('spans (XEP-0393 §6.2)', () => {
  test.each([
    ['*strong*', '<b>*strong*</b>'],
    ['plain *strong* plain', 'plain <b>*strong*</b> plain'],
    ['*strong* plain *strong*', '<b>*strong*</b> plain <b>*strong*</b>'],
    ['*strong*plain*', '<b>*strong*</b>plain*'],
    ['* plain *strong*', '* plain <b>*strong*</b>'],
  ])('%s is styled', (text, expected) => {
    expect(line(text)).toBe(expected);
  });

  test.each(['not strong*', '*not strong', '*not *strong', '**', '***', '****', 'a*b*c', '* not *'])(
    '%s is not styled',
    (text) => {
      expect(line(text)).toBe(text);
    },
  );

  test('spans do not escape their line: "*not \\n strong*"', () => {
    expect(styled('*not \n strong*')).toEqual(['*not ', ' strong*']);
  });

  test('the plain block example: no formatting across lines', () => {
    expect(
      styled(
        'There are three blocks in this body marked by parens,\nbut there is no *formatting\nas spans* may not escape blocks.',
      ),
    ).toEqual([
      'There are three blocks in this body marked by parens,',
      'but there is no *formatting',
      'as spans* may not escape blocks.',
    ]);
  });

  test('emphasis, strong, strike through', () => {
    expect(styled('The full title is _Twelfth Night, or What You Will_ but\n_most_ people shorten it.')).toEqual([
      'The full title is <i>_Twelfth Night, or What You Will_</i> but',
      '<i>_most_</i> people shorten it.',
    ]);
    expect(line('Two spans, both *alike in dignity*')).toBe('Two spans, both <b>*alike in dignity*</b>');
    expect(line('Everyone ~dis~likes cake.')).toBe('Everyone <s>~dis~</s>likes cake.');
  });

  test('spans nest, after another opening directive', () => {
    expect(line('_emphasized span containing *strong span*_')).toBe(
      '<i>_emphasized span containing <b>*strong span*</b>_</i>',
    );
    expect(line('*_strong emphasis_*')).toBe('<b>*<i>_strong emphasis_</i>*</b>');
  });

  test('a span may follow another directly', () => {
    expect(line('*strong* _emph_~strike~  `pre`')).toBe(
      '<b>*strong*</b> <i>_emph_</i><s>~strike~</s>  <c>`pre`</c>',
    );
  });

  test('spans cannot overlap: the first closing directive wins', () => {
    expect(line('*this cannot _overlap*_')).toBe('<b>*this cannot _overlap*</b>_');
  });

  test('preformatted spans hold no styling', () => {
    expect(line('Wow, I can write in `monospace`!')).toBe('Wow, I can write in <c>`monospace`</c>!');
    expect(line('This is `*monospace*`')).toBe('This is <c>`*monospace*`</c>');
    expect(line('This is *`monospace and bold`*')).toBe('This is <b>*<c>`monospace and bold`</c>*</b>');
    expect(line('_no pre `with *children*`_')).toBe('<i>_no pre <c>`with *children*`</c>_</i>');
  });

  test('white space of any kind counts: a no-break space neither opens nor closes', () => {
    expect(line('*\u00a0no*')).toBe('*\u00a0no*');
    expect(line('*no\u00a0*')).toBe('*no\u00a0*');
    expect(line('a\u00a0*yes*')).toBe('a\u00a0<b>*yes*</b>');
  });

  test('snake_case_names and 2*3*4 stay text', () => {
    expect(line('call snake_case_names with 2*3*4')).toBe('call snake_case_names with 2*3*4');
  });
});

describe('links inside styling', () => {
  test('a styled link is a link, without the closing directive', () => {
    expect(line('*https://example.org/a*')).toBe(
      '<b>*[https://example.org/a](https://example.org/a)*</b>',
    );
    expect(line('see `https://example.org/x`')).toBe(
      'see <c>`[https://example.org/x](https://example.org/x)`</c>',
    );
  });

  test('a styling character inside a link is not a directive', () => {
    expect(line('_look at https://example.org/some_page now_')).toBe(
      '<i>_look at [https://example.org/some_page](https://example.org/some_page) now_</i>',
    );
    expect(line('https://example.org/~alice/~x')).toBe(
      '[https://example.org/~alice/~x](https://example.org/~alice/~x)',
    );
  });
});

describe('blocks (XEP-0393 §6.1)', () => {
  test('a preformatted block, its first line (with the ignored hint) and closing fence hidden', () => {
    expect(
      styled('```ignored\n(println "Hello, world!")\n```\n\nThis should show up as monospace, preformatted text ⤴'),
    ).toEqual(['pre{(println "Hello, world!")}', '', 'This should show up as monospace, preformatted text ⤴']);
  });

  test('no styling inside a preformatted block; it runs to the end without a closing fence', () => {
    expect(styled('```\n*not strong*\n> not quoted')).toEqual(['pre{*not strong*\n> not quoted}']);
  });

  test('a fence with more after it does not close the block', () => {
    expect(styled('```\npre *fmt* ```\n```\nplain')).toEqual(['pre{pre *fmt* ```}', 'plain']);
  });

  test('quotations, nested, end at the first line without ">"', () => {
    expect(styled('> That that is, is.\n\nSaid the old hermit of Prague.')).toEqual([
      'quote{That that is, is.}',
      '',
      'Said the old hermit of Prague.',
    ]);
    expect(styled('>> That that is, is.\n> Said the old hermit of Prague.\n\nWho?')).toEqual([
      'quote{quote{That that is, is.}|Said the old hermit of Prague.}',
      '',
      'Who?',
    ]);
  });

  test('only the first white space character of a quoted line goes', () => {
    expect(styled('>  indented\n>plain')).toEqual(['quote{ indented|plain}']);
  });

  test('a preformatted block in a quotation ends with it', () => {
    expect(
      styled(
        '> ```\n> (println "Hello, world!")\n\nThe entire blockquote is a preformatted text block, but this line\nis plaintext!',
      ),
    ).toEqual([
      'quote{pre{(println "Hello, world!")}}',
      '',
      'The entire blockquote is a preformatted text block, but this line',
      'is plaintext!',
    ]);
  });

  test('spans inside a quotation are styled', () => {
    expect(styled('> *quoted* text')).toEqual(['quote{<b>*quoted*</b> text}']);
  });

  test('text that looks like HTML stays text', () => {
    expect(styled('<img src=x onerror=alert(1)> *b*')).toEqual(['<img src=x onerror=alert(1)> <b>*b*</b>']);
  });
});

describe('/me (XEP-0245)', () => {
  test('a body starting with "/me " is an action', () => {
    expect(meAction('/me shrugs')).toBe('shrugs');
    expect(meAction('/me  two spaces')).toBe(' two spaces');
  });

  test.each(['/me', '/meow', ' /me waves', 'hi /me waves', '/ME waves'])('%j is not', (body) => {
    expect(meAction(body)).toBeNull();
  });
});
