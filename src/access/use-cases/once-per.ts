/** `ask`, asked once per key: later calls with the same key share the first answer. */
export function oncePer<T>(ask: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const answers = new Map<string, Promise<T>>();
  return (key) => {
    let answer = answers.get(key);
    if (!answer) {
      answer = ask(key);
      answers.set(key, answer);
    }
    return answer;
  };
}
